"""Drop every per-container cache, as a fresh Lambda container would (tests repoint env vars).

Test support only: it lives under tests/ so it never ships in the Lambda zip."""

from __future__ import annotations

import sys


def reset_all() -> None:
    """Clear the handlers' cold-start state: config, clients, secrets, caches, Redis and database
    connections, and the memory of handler modules already imported (their `reset()` hooks)."""
    from handlers.common import aws, cache, config, db, redis_client, secrets

    config.get_config.cache_clear()
    aws.client.cache_clear()
    secrets.invalidate()
    cache.clear_all()
    redis_client.reset()
    db.reset()
    # Only a module a test has imported holds state; importing one here would build its Logger
    # and batch Processor for nothing.
    predictive = sys.modules.get("handlers.predictive_maintenance")
    if predictive is not None:  # per-container memory of scored vehicles
        predictive.reset()
