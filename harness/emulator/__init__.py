"""The embedded AWS emulator: moto's server plus the compatibility patches this stack needs."""
