"""Adapters shared by the handler modules: config, AWS clients, Redis, Aurora, DLQ, idempotency.

Everything here is created once per cold start (lazily, so importing a handler needs no
environment) and can be dropped with `reset()` when tests repoint the environment.
"""
