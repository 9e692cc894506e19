"""Event source mapping pollers that run what Lambda's pollers run on AWS (see `harness.runtime.mappings`)."""
