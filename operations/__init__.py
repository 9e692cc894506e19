"""Operator tools that run against a deployed stack, the local one or AWS, with the same code."""
