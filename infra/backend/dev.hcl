# S3 backend of the dev environment: terraform init -backend-config=infra/backend/dev.hcl (harness.terraform
# does this for TARGET=aws). One state key per environment, so applying one never plans against another's
# resources; the state holds the Redis AUTH token, hence SSE-KMS and no public access on the bucket.
bucket       = "fleettap-terraform-state"
key          = "fleettap/dev/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true # S3-native locking: Terraform >= 1.10
