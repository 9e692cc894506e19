"""What a MOCK integration answers: the status its request template selects and the body of that
status's integration response template (no VTL is evaluated: the templates this stack deploys are
literal). Used by the mock external API for a deployed route it has no richer behaviour for.

Contract: `canned_response(method)` -> (status, content type, body bytes), `method` as GetResources
with `embed=methods` returns it (`methodIntegration.requestTemplates`, `.integrationResponses`).
"""

from __future__ import annotations

import json


def canned_response(method: dict) -> tuple[int, str, bytes]:
    integration = method.get("methodIntegration") or {}
    status = 200
    for template in (integration.get("requestTemplates") or {}).values():
        try:
            status = int(json.loads(template).get("statusCode", 200))
        except (ValueError, TypeError, AttributeError):
            pass  # not a literal {"statusCode": N}: API Gateway would evaluate it; keep 200
        break
    response = (integration.get("integrationResponses") or {}).get(str(status)) or {}
    for content_type, body in (response.get("responseTemplates") or {}).items():
        return status, content_type, (body or "").encode()
    return status, "application/json", b""
