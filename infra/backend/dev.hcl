# S3 backend of the dev environment: terraform init -backend-config=infra/backend/dev.hcl (harness.terraform
# does this for TARGET=aws). One state key per environment, so applying one never plans against another's
# resources. The bucket and its key are made once per account by `make state-bucket` (harness.state_bucket:
# SSE-KMS with this key, versioning, public access blocked, TLS only); see infra/backend/README.md.
bucket       = "fleettap-terraform-state"
key          = "fleettap/dev/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
kms_key_id   = "alias/fleettap-terraform-state"
use_lockfile = true # S3-native locking: Terraform >= 1.10
