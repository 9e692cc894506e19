"""The live web page of a load or soak run (like Locust's): a small stdlib HTTP server on
127.0.0.1 (a free port unless one is given), printing its address; `/` is a page whose script
polls `/data.json` every two seconds and swaps in the sections (loadtest.live_charts renders them
on the server, so the live page and the final report draw the same charts).

    page = LivePage("soak 190 rec/s").start()    # prints "live page: http://127.0.0.1:PORT/"
    page.publish(live_charts.sections(samples, target_rate, verdict))
    page.stop()
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loadtest.live_charts import PAGE_CSS
from scenario_runner.report_chart import esc

POLL_MS = 2000

_SCRIPT = """
const POLL_MS = __POLL_MS__;
const sections = document.getElementById('sections');
const status = document.getElementById('status');
async function refresh() {
  try {
    const response = await fetch('data.json', {cache: 'no-store'});
    const data = await response.json();
    for (const [key, html] of Object.entries(data.sections)) {
      let node = document.getElementById('section-' + key);
      if (!node) {
        node = document.createElement('section');
        node.id = 'section-' + key;
        sections.appendChild(node);
      }
      if (node.innerHTML !== html) node.innerHTML = html;
    }
    const clock = new Date(data.updated * 1000).toISOString().slice(11, 19);
    status.textContent = (data.finished ? 'run finished' : 'live') + ', updated ' + clock + ' UTC';
    document.body.dataset.version = String(data.version);
    if (data.finished) return;
  } catch (error) {
    status.textContent = 'run ended or unreachable';
    return;
  }
  setTimeout(refresh, POLL_MS);
}
refresh();
""".replace("__POLL_MS__", str(POLL_MS))


def page_html(title: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<link rel='icon' href='data:,'><style>{PAGE_CSS}</style></head><body data-version='0'>"
        f"<h1>{esc(title)}</h1><p id='status'>connecting</p><div id='sections'></div>"
        f"<script>{_SCRIPT}</script></body></html>"
    )


class LivePage:
    def __init__(self, title: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self.title = title
        self._lock = threading.Lock()
        self._data = {"sections": {}, "version": 0, "updated": 0.0, "finished": False}
        page = page_html(title).encode()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?")[0] in ("/", "/index.html"):
                    body, kind = page, "text/html; charset=utf-8"
                elif self.path.split("?")[0] == "/data.json":
                    with owner._lock:
                        body, kind = json.dumps(owner._data).encode(), "application/json"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # keep the run's terminal output clean
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-page", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self, announce=sys.stderr) -> LivePage:
        self._thread.start()
        if announce is not None:
            print(f"live page: {self.url}", file=announce, flush=True)
        return self

    def publish(self, sections: dict[str, str], *, finished: bool = False, now: float | None = None) -> None:
        import time

        with self._lock:
            self._data = {
                "sections": sections,
                "version": self._data["version"] + 1,
                "updated": now if now is not None else time.time(),
                "finished": finished,
            }

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve_forever() that must be running
            self._server.shutdown()
        self._server.server_close()
