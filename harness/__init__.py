"""Local stack harness for fleettap: services, emulator, Terraform plumbing and local runtime."""
