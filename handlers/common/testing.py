"""Drop every per-container cache, as a fresh Lambda container would (tests repoint env vars)."""
from __future__ import annotations


def reset_all() -> None:
    from handlers.common import aws, cache, config, db, redis_client, secrets

    config.get_config.cache_clear()
    aws.client.cache_clear()
    secrets.invalidate()
    cache.clear_all()
    redis_client.reset()
    db.reset()
    import sys

    predictive = sys.modules.get("handlers.predictive_maintenance")
    if predictive is not None:  # per-container memory of scored vehicles
        predictive._last_scored.clear()
