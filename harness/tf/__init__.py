"""Terraform plumbing helpers: CLI config, emulator provider override, tfvars example block."""
