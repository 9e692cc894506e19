"""The emulator's state across restarts, like LocalStack's PERSISTENCE=1: every moto backend loaded
in the process (Kinesis records, DynamoDB items and streams, IAM, KMS keys, Lambda code, SQS
messages, ...) is pickled into `<state>/emulator/backends.pickle` when the emulator stops, and put
back before it serves its first request. The local runtime's stream checkpoints (the last sequence
each event source mapping's shard poller processed) are saved with it, so a restarted poller reads on
after them as Lambda's would, instead of processing the stream again from its start.

moto has no persistence of its own (its server keeps everything in memory); its models are plain
Python objects, so the snapshot is one pickle of all backends at once (objects shared between
services stay shared). A few members of them cannot be pickled as they are, and are reduced here:
locks (re-created empty), weak-value dictionaries (moto's Lambda ARN index), the cryptography
private keys of KMS keys and SNS signing certificates (kept as DER bytes). A reference to a
BackendDict itself is kept as a reference to this process's one.

Step Functions executions are saved with their records (status, input, output, history); one still
running at the save comes back as it was, without its interpreter's worker, so it does not resume
(start it again).

A snapshot is restored only by the same moto version and snapshot format (`FORMAT`); otherwise the
emulator starts empty and says why (Terraform then re-creates the stack). `state_id` names the
lineage of the state: it is new when the emulator starts empty and carried through save and
restore, so a tool that applied Terraform to one state can tell when it faces another
(harness.deploy_fingerprint).
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import sys
import threading
import time
import uuid
import weakref
from collections import defaultdict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
PERSISTENCE_ENV = "FLEETTAP_PERSISTENCE"
SNAPSHOT_DIR = "emulator"
SNAPSHOT_FILE = "backends.pickle"
# moto's own control plane (moto-api/reset, the dashboard): not state, and its reset resets the rest.
NOT_STATE = ("moto_api",)
# A lock is saved as the factory that makes a new one: the lock types themselves cannot be pickled by
# name (`_thread.lock` is not an attribute of `_thread`), the factories can.
_LOCK_FACTORIES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def enabled() -> bool:
    """Persistence is on unless FLEETTAP_PERSISTENCE is 0/off/false/no."""
    return os.environ.get(PERSISTENCE_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def snapshot_path(state_dir: Path) -> Path:
    return Path(state_dir) / SNAPSHOT_DIR / SNAPSHOT_FILE


def _moto_version() -> str:
    import moto

    return moto.__version__


# BackendDicts get_backend does not name: the Step Functions interpreter's own backend holds the state
# machines the local stack runs (moto.stepfunctions.parser), beside the plain stepfunctions one.
EXTRA_BACKENDS = {"stepfunctions_parser": ("moto.stepfunctions.parser.models", "stepfunctions_parser_backends")}


def _backend(name: str) -> Any:
    """The BackendDict of a service name or of an EXTRA_BACKENDS name."""
    if name in EXTRA_BACKENDS:
        module, attribute = EXTRA_BACKENDS[name]
        return getattr(__import__(module, fromlist=[attribute]), attribute)
    from moto.backends import get_backend

    return get_backend(name)


def loaded_backends() -> dict[str, Any]:
    """Service name -> moto BackendDict, for every service module this process has imported."""
    from moto.backends import get_backend, list_of_moto_modules

    found = {name: _backend(name) for name, (module, _) in EXTRA_BACKENDS.items() if module in sys.modules}
    for name in list_of_moto_modules():
        if name in NOT_STATE:
            continue
        if f"moto.{name}.models" not in sys.modules and f"moto.{name}" not in sys.modules:
            continue
        try:
            found[name] = get_backend(name)
        except Exception:  # a service module that does not define a backend (core, utilities)
            continue
    return found


def _rebuild_private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, password=None)


def _rebuild_public_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    return load_der_public_key(der)


def _rebuild_defaultdict(factory: type, items: dict) -> defaultdict:
    return defaultdict(factory, items)


def _rebuild_weak_values(items: dict) -> weakref.WeakValueDictionary:
    return weakref.WeakValueDictionary(items)


class _Pickler(pickle.Pickler):
    def __init__(self, file, backends: dict[str, Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._backend_names = {id(backend): name for name, backend in backends.items()}

    def persistent_id(self, obj: Any) -> Any:
        name = self._backend_names.get(id(obj))
        return ("backend", name) if name is not None else None

    def reducer_override(self, obj: Any) -> Any:
        factory = _LOCK_FACTORIES.get(type(obj))
        if factory is not None:
            return factory, ()
        if isinstance(obj, weakref.WeakValueDictionary):
            return _rebuild_weak_values, (dict(obj.items()),)
        if isinstance(obj, defaultdict) and "<" in getattr(obj.default_factory, "__qualname__", ""):
            # moto's `defaultdict(lambda: {})`: the lambda cannot be pickled, the type it makes can.
            made = type(obj.default_factory())
            if made not in (dict, list, set, int):
                return NotImplemented
            return _rebuild_defaultdict, (made, dict(obj))
        module = type(obj).__module__ or ""
        if module.startswith("cryptography.") and hasattr(obj, "private_bytes"):
            from cryptography.hazmat.primitives import serialization

            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _rebuild_private_key, (der,)
        if module.startswith("cryptography.") and hasattr(obj, "public_bytes") and hasattr(obj, "verify"):
            from cryptography.hazmat.primitives import serialization

            der = obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            return _rebuild_public_key, (der,)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, backends: dict[str, Any]) -> None:
        super().__init__(file)
        self._backends = backends

    def persistent_load(self, pid: Any) -> Any:
        kind, name = pid
        if kind != "backend" or name not in self._backends:
            raise pickle.UnpicklingError(f"unknown persistent reference {pid!r}")
        return self._backends[name]


def dumps(state_id: str, checkpoints: dict | None = None) -> bytes:
    """The snapshot of every loaded backend: a plain header (format, moto version, state id,
    services), then one pickle of the backends and the runtime's checkpoints."""
    backends = {name: backend for name, backend in loaded_backends().items() if len(backend)}
    header = {
        "format": FORMAT,
        "moto": _moto_version(),
        "state_id": state_id,
        "saved_at": time.time(),
        "services": sorted(backends),
    }
    buffer = io.BytesIO()
    pickle.dump(header, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    payload = {
        "checkpoints": dict(checkpoints or {}),
        "backends": {name: dict(backend) for name, backend in backends.items()},
    }
    _Pickler(buffer, loaded_backends()).dump(payload)
    return buffer.getvalue()


def read_header(blob: bytes) -> dict:
    return pickle.load(io.BytesIO(blob))


def loads(blob: bytes) -> dict:
    """Restore a snapshot into this process's moto backends; returns its header plus the runtime's
    checkpoints. Raises ValueError for a snapshot of another moto version or format."""
    from moto.core.base_backend import BackendDict, backend_lock

    stream = io.BytesIO(blob)
    header = pickle.load(stream)
    if header.get("format") != FORMAT or header.get("moto") != _moto_version():
        raise ValueError(
            f"snapshot of format {header.get('format')} / moto {header.get('moto')}, "
            f"this emulator is format {FORMAT} / moto {_moto_version()}"
        )
    # Import the snapshot's services first, so its classes and backend references resolve.
    backends = {**loaded_backends(), **{name: _backend(name) for name in header["services"]}}
    payload = _Unpickler(stream, backends).load()
    with backend_lock:
        for name, accounts in payload["backends"].items():
            backend = backends[name]
            dict.clear(backend)
            for account_id, account_backend in accounts.items():
                dict.__setitem__(backend, account_id, account_backend)
            if backend not in BackendDict._instances:
                BackendDict._instances.append(backend)
    return {**header, "checkpoints": payload.get("checkpoints") or {}}


def save(state_dir: Path, state_id: str, checkpoints: dict | None = None) -> Path:
    """Write the snapshot atomically (a stop during the write leaves the previous one)."""
    path = snapshot_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    blob = dumps(state_id, checkpoints)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    log.info("saved the emulator's state (%d KiB) to %s in %.1f s", len(blob) // 1024, path, time.monotonic() - began)
    return path


def restore(state_dir: Path) -> dict | None:
    """Load the snapshot into moto's backends when there is one; None when there is none or it
    cannot be used (the reason is logged, and the emulator starts empty)."""
    path = snapshot_path(state_dir)
    if not path.exists():
        return None
    began = time.monotonic()
    try:
        restored = loads(path.read_bytes())
    except Exception as error:  # an unusable snapshot must not keep the emulator from starting
        log.warning("not restoring %s (%s: %s); starting empty", path, type(error).__name__, error)
        return None
    log.info(
        "restored the emulator's state %s (%d services) from %s in %.1f s",
        restored["state_id"],
        len(restored["services"]),
        path,
        time.monotonic() - began,
    )
    return restored


def new_state_id() -> str:
    return uuid.uuid4().hex
