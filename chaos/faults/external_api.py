"""External telematics API faults, through the mock API's own controls (harness/mock_api.py).

- `api-5xx`: every notification call answers 503 while the fault holds;
- `api-timeout`: every call answers after 6 s, past the driver notifier's 5 s read timeout (the
  mock still records the call after its delay: delivered, though the client saw a timeout);
- `api-hang`: every call answers after 70 s, past the function's 60 s timeout.
"""

from __future__ import annotations

import json
import urllib.request

from chaos.faults.base import Fault, FaultContext

TIMEOUT_DELAY_S = 6.0
HANG_DELAY_S = 70.0


def mock_control(base_url: str, path: str, document: dict | None = None) -> dict:
    data = json.dumps(document or {}).encode()
    request = urllib.request.Request(
        base_url.rstrip("/") + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def notifications(base_url: str) -> list[dict]:
    with urllib.request.urlopen(base_url.rstrip("/") + "/admin/notifications", timeout=10) as response:
        return json.loads(response.read())["notifications"]


class ApiFault(Fault):
    faults: dict = {}
    follows_effects = True

    def inject(self, ctx: FaultContext) -> None:
        mock_control(ctx.stack.mock_api_url, "/admin/faults", self.faults)

    def heal(self, ctx: FaultContext) -> None:
        mock_control(ctx.stack.mock_api_url, "/admin/faults", {"fail": 0, "delay_s": 0})


class Api5xx(ApiFault):
    name = "api-5xx"
    description = "telematics API answers 503"
    faults = {"fail": -1, "status": 503}


class ApiTimeout(ApiFault):
    name = "api-timeout"
    description = f"telematics API answers after {TIMEOUT_DELAY_S:g} s (client timeout)"
    faults = {"delay_s": TIMEOUT_DELAY_S}


class ApiHang(ApiFault):
    name = "api-hang"
    description = f"telematics API hangs {HANG_DELAY_S:g} s (past the function timeout)"
    faults = {"delay_s": HANG_DELAY_S}
