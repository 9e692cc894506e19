"""The embedded AWS emulator: moto's server plus the patches this stack needs (`harness.emulator.patches`)."""
