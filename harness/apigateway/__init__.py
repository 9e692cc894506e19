"""API Gateway REST API behaviour the local stack reproduces: which (method, path) a deployed stage
serves (`matching`), read from the emulator's deployed APIs (`deployed`). The mock external API
(`harness.mock_api`) answers only what these say a stage serves."""
