"""Local stand-ins for the two external HTTP APIs the handlers call.

`python -m harness.mock_api --host 127.0.0.1 --port 4580`

- External telematics API (in-cab notifications, behind API Gateway in AWS):
  POST /v1/notifications records the call; GET /v1/notifications lists what was received.
  Honours the `Idempotency-Key` header: a repeated key is acknowledged but stored once, as the
  real API promises, so tests can tell "delivered twice" from "recorded twice".
- FMCSA record-of-duty-status PDF API: POST /v1/rod-pdf returns a real PDF (fpdf2) built from
  the JSON it is given.
- Admin (tests only): POST /admin/faults {"fail": N, "status": 503, "delay_s": 0.5} makes the
  next N notification calls fail (or all with "fail": -1) and/or respond slowly;
  POST /admin/reset clears state and faults.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _reset() -> None:
    with _lock:
        _state.clear()
        _state.update(notifications=[], keys=set(), attempts=0, pdfs=0, fail=0, fail_status=503, delay_s=0.0)


_reset()


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

    def _send(self, status: int, body: bytes | dict | list, ctype: str = "application/json") -> None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw or b"{}")

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/health":
            self._send(200, {"status": "ok"})
        elif path == "/v1/notifications":
            with _lock:
                self._send(
                    200,
                    {
                        "notifications": list(_state["notifications"]),
                        "attempts": _state["attempts"],
                        "pdfs": _state["pdfs"],
                    },
                )
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        try:
            body = self._json()
        except ValueError:
            self._send(400, {"error": "invalid json"})
            return
        if path == "/v1/notifications":
            self._notify(body)
        elif path == "/v1/rod-pdf":
            try:
                pdf = render_rod_pdf(body)
            except Exception as exc:  # report, don't kill the server thread
                self._send(422, {"error": str(exc)})
                return
            with _lock:
                _state["pdfs"] += 1
            self._send(200, pdf, "application/pdf")
        elif path == "/admin/faults":
            with _lock:
                _state["fail"] = int(body.get("fail", 0))
                _state["fail_status"] = int(body.get("status", 503))
                _state["delay_s"] = float(body.get("delay_s", 0.0))
            self._send(200, {"ok": True})
        elif path == "/admin/reset":
            _reset()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "not found"})

    def _notify(self, body: dict) -> None:
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


def serve(host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="fleettap external API mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4580)
    args = parser.parse_args()
    server = serve(args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
