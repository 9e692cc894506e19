"""Adapters shared by the handler modules: config, AWS clients, Redis, Aurora, DLQ, idempotency.

Everything here is created once per cold start (lazily, so importing a handler needs no
environment) and can be dropped with `reset()` when tests repoint the environment.
"""

import logging as _logging

# LOG_LEVEL=DEBUG (dev) is meant for our own loggers; botocore's wire-level debug output costs
# ~20 KB of log per record and dominated local throughput in load runs.
for _noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
    _logging.getLogger(_noisy).setLevel(_logging.WARNING)
