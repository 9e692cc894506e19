"""Local stand-ins for the two external HTTP APIs the handlers call, served through the routes of
the API Gateway stages deployed in the emulator.

`python -m harness.mock_api --host 127.0.0.1 --port 4580 --aws-endpoint http://127.0.0.1:4566`

On AWS the handlers call the REST API stage `infra/tap_stack.tf` deploys (MOCK integrations); locally
their URLs point here with the same stage path (`harness.runtime.local_endpoints`). A request
`<method> /<stage>/<path>` is answered only when a stage of a REST API in the emulator serves that
method and path (`harness.apigateway`: resources, `{param}` and `{proxy+}` parts, ANY, as API Gateway
matches them); anything else gets API Gateway's 403 `{"message": "Missing Authentication Token"}`.
A served route then gets the vendor behaviour below when its resource path ends with the vendor's
path (the stage mounts each vendor API under a base path, e.g. `/fmcsa`), else what its MOCK
integration is configured to answer.

- External telematics API (in-cab notifications): POST <base>/v1/notifications records the call.
  Honours the `Idempotency-Key` header: a repeated key is acknowledged but stored once, as the
  real API promises, so tests can tell "delivered twice" from "recorded twice".
- FMCSA record-of-duty-status PDF API: POST <base>/v1/rod-pdf returns a real PDF (fpdf2) built from
  the JSON it is given.
- The mock's own controls, outside any stage (so a stage named `admin` or `health` is not served):
  GET /health; GET /admin/notifications lists what was received; POST /admin/faults {"fail": N,
  "status": 503, "delay_s": 0.5} makes the next N notification calls fail (or all with "fail": -1)
  and/or respond slowly; POST /admin/reset clears state and faults.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.apigateway.deployed import DeployedStages, EmulatorUnavailable
from harness.apigateway.mock_integration import canned_response

MISSING_TOKEN = {"message": "Missing Authentication Token"}
_lock = threading.Lock()
_state: dict[str, Any] = {}


def _reset() -> None:
    with _lock:
        _state.clear()
        _state.update(notifications=[], keys=set(), attempts=0, pdfs=0, fail=0, fail_status=503, delay_s=0.0)


_reset()
_stages: DeployedStages | None = None  # set by serve(); None (never served) answers every route 403


def render_rod_pdf(doc: dict) -> bytes:
    # Imported here so the module (and /health) works even where fpdf2 is missing.
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Driver's Record of Duty Status (49 CFR 395.8)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    header = [
        ("Driver", doc.get("driver_id", "")),
        ("Date", doc.get("report_date", "")),
        ("Carrier / fleet", doc.get("fleet_id", "")),
        ("Vehicle(s)", ", ".join(doc.get("vehicles", []) or [])),
        ("Cycle", doc.get("cycle", "")),
        ("Time zone", doc.get("time_zone", "")),
    ]
    for k, v in header:
        pdf.cell(0, 6, _latin1(f"{k}: {v}"), new_x="LMARGIN", new_y="NEXT")
    totals = doc.get("totals") or {}
    if totals:
        pdf.cell(
            0,
            6,
            _latin1("Totals (h): " + ", ".join(f"{k} {v}" for k, v in totals.items())),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Duty status changes", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for ev in doc.get("events", []) or []:
        line = f"{ev.get('time', '')}  {ev.get('status', ''):>3}  {ev.get('vehicle_id', '')}  {ev.get('location', '')}"
        pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    for title, key in (("Violations", "violations"), ("Inspections (DVIR)", "inspections")):
        items = doc.get(key) or []
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, f"{title}: {len(items)}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        for it in items:
            pdf.cell(0, 5, _latin1(json.dumps(it, sort_keys=True, default=str)[:160]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 6, "Driver certification: I certify these entries are true and correct.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin1(s: str) -> str:
    # Core PDF fonts are latin-1 only; a stray unicode char must not fail a compliance report.
    return s.encode("latin-1", "replace").decode("latin-1")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the delayed ACK adds ~40 ms a call.
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:  # quiet: tests run thousands of calls
        pass

    def _send(
        self, status: int, body: bytes | dict | list, ctype: str = "application/json", headers: dict | None = None
    ) -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?")[0]
        if path == "/health" or path.startswith("/admin/"):
            self._control(method, path)
            return
        # Read the body even when refusing: an unread body would be taken for the next request on a
        # keep-alive connection (urllib3 pools them).
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            route = _stages.match(method, self.path) if _stages is not None else None
        except EmulatorUnavailable as error:
            self._send(502, {"message": str(error)})
            return
        if route is None:
            self._send(403, MISSING_TOKEN, headers={"x-amzn-ErrorType": "MissingAuthenticationTokenException"})
            return
        resource = route.resource.path
        if method == "POST" and resource.endswith("/v1/notifications"):
            self._notify(body)
        elif method == "POST" and resource.endswith("/v1/rod-pdf"):
            self._rod_pdf(body)
        else:
            try:
                status, content_type, canned = canned_response(_stages.method(route))
            except EmulatorUnavailable as error:
                self._send(502, {"message": str(error)})
                return
            self._send(status, canned, content_type)

    def _control(self, method: str, path: str) -> None:
        if method == "GET" and path == "/health":
            self._send(200, {"status": "ok"})
        elif method == "GET" and path == "/admin/notifications":
            with _lock:
                received = {
                    "notifications": list(_state["notifications"]),
                    "attempts": _state["attempts"],
                    "pdfs": _state["pdfs"],
                }
            self._send(200, received)
        elif method == "POST" and path == "/admin/faults":
            body = self._json(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if body is None:
                return
            with _lock:
                _state["fail"] = int(body.get("fail", 0))
                _state["fail_status"] = int(body.get("status", 503))
                _state["delay_s"] = float(body.get("delay_s", 0.0))
            self._send(200, {"ok": True})
        elif method == "POST" and path == "/admin/reset":
            _reset()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "not found"})

    def _json(self, raw: bytes) -> Any:
        """The parsed body, or None after answering 400."""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"error": "invalid json"})
            return None

    def _rod_pdf(self, raw: bytes) -> None:
        doc = self._json(raw)
        if doc is None:
            return
        try:
            pdf = render_rod_pdf(doc)
        except Exception as exc:  # report, don't kill the server thread
            self._send(422, {"error": str(exc)})
            return
        with _lock:
            _state["pdfs"] += 1
        self._send(200, pdf, "application/pdf")

    def _notify(self, raw: bytes) -> None:
        body = self._json(raw)
        if body is None:
            return
        key = self.headers.get("Idempotency-Key") or body.get("alert_id")
        with _lock:
            _state["attempts"] += 1
            delay = _state["delay_s"]
            fail = _state["fail"]
            if fail:
                if fail > 0:
                    _state["fail"] = fail - 1
                status = _state["fail_status"]
        if delay:
            time.sleep(delay)
        if fail:
            self._send(status, {"error": "injected failure"})
            return
        with _lock:
            duplicate = key in _state["keys"]
            if not duplicate:
                _state["keys"].add(key)
                _state["notifications"].append({"idempotency_key": key, "body": body})
        self._send(200 if duplicate else 201, {"accepted": True, "duplicate": duplicate})


def apigateway_client(endpoint: str, region: str) -> Any:
    """A client of the emulator's API Gateway with the stack's admin credentials (from the environment
    the harness starts this process with: `StackInfo.env()`), bound to `endpoint` so it never reaches AWS."""
    import boto3

    return boto3.session.Session(region_name=region).client("apigateway", endpoint_url=endpoint)


def serve(host: str, port: int, aws_endpoint: str, region: str) -> ThreadingHTTPServer:
    """Serve on host:port, answering the routes of the stages deployed in the emulator at aws_endpoint."""
    global _stages
    _stages = DeployedStages(lambda: apigateway_client(aws_endpoint, region))
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="fleettap external API mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4580)
    parser.add_argument("--aws-endpoint", default=os.environ.get("AWS_ENDPOINT_URL"), help="the emulator")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    args = parser.parse_args()
    if not args.aws_endpoint or not args.region:
        parser.error("name the emulator to read stages from: --aws-endpoint, --region (or AWS_ENDPOINT_URL/AWS_REGION)")
    server = serve(args.host, args.port, args.aws_endpoint, args.region)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
