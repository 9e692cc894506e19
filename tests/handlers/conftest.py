"""Handler test fixtures live in handler_stack.py (shared with tests/bench)."""
from tests.handlers.handler_stack import (Ctx, Resources, aws_session_env, dedicated_pg, make_ctx, pg_secret,  # noqa: F401
                           resources, stack)
