"""Load processes never outlive the run that started them.

A load worker left behind keeps sending at its full rate for the rest of its --duration: after
`kill <loadtest.load pid>` one did, and the next sweep on that stack measured twice the load it reported.
SIGTERM becomes SystemExit, so `finally` blocks and multiprocessing's exit handler stop children
(daemon workers, a soak's load run); a worker also leaves by itself when its parent is gone (SIGKILL,
a crash), which no handler in the parent can cover.
"""

from __future__ import annotations

import os
import signal
import threading
import time

EXIT_CODE = 128 + signal.SIGTERM


def exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit in the main thread (Python's default is to die without cleanup)."""

    def _raise(signum: int, frame: object) -> None:
        raise SystemExit(EXIT_CODE)

    signal.signal(signal.SIGTERM, _raise)


def exit_with_parent(poll_s: float = 1.0) -> None:
    """Exit this process once its parent is gone (it is then re-parented, so getppid changes)."""
    parent = os.getppid()

    def _watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(EXIT_CODE)

    threading.Thread(target=_watch, name="exit-with-parent", daemon=True).start()
