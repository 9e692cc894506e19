# Provider configuration for the fleettap stack. tap_stack.tf holds no provider block on purpose:
# the same stack runs against real AWS (this file as is) and against the local emulator, where
# harness/terraform.py adds an override file pointing every service endpoint at the emulator.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
