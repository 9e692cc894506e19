"""moto core and server: model instance tracking, backend lookups and request dispatch."""

from __future__ import annotations

import threading
from typing import Any

from moto.core.base_backend import BackendDict
from moto.core.common_models import BaseModel
from moto.core.model_instances import reset_model_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from harness.emulator.patches.registry import patch

DISPATCH_CACHE_LIMIT = 4096  # distinct Host values remembered (S3 virtual hosts add one per bucket)


@patch(target=BaseModel.__new__, pass_target=False, on_apply=reset_model_data)
def untracked_model_instances(cls: type, *args: Any, **kwargs: Any) -> Any:
    """moto's BaseModel keeps every model instance it ever created, so nothing is ever freed.

    Gap: `BaseModel.__new__` appends each new instance to its class's `instances_tracked` list (for
    the moto server's dashboard, `/moto-api/data.json`); only a mock reset clears the lists. Every
    Kinesis record, DynamoDB item (also the copies made for queries and projections), stream record,
    stream iterator, SQS message, S3 object version and CloudWatch datapoint therefore stays in
    memory for the life of the emulator, even after moto (or the local retention) deleted it, and
    the emulator's memory grows with every record sent however little data it still holds.
    Fix: do not track instances (and drop what was tracked before the patch); the dashboard then
    lists none (nothing in this project reads it).
    """
    return object.__new__(cls)


_dispatch_cache: dict[str | None, Any] = {}
_dispatch_lock = threading.Lock()


@patch(target=DomainDispatcherApplication.get_backend_for_host)
def remember_backend_per_host(fn: Any, self: DomainDispatcherApplication, host: str | None) -> Any:
    """Request dispatch: which backend serves a Host header, looked up once per host.

    Gap: moto's server finds the backend for every request under one global lock, listing moto's
    package directory (an `isdir` per module) and trying each service's URL regexes on the host,
    which costs CPU on every request in the process that serves every AWS call.
    Fix: the answer depends on the host alone, so it is remembered per host (at most
    DISPATCH_CACHE_LIMIT hosts); a miss falls through to moto's inference every time. Which backend
    serves a request is unchanged.
    """
    try:
        return _dispatch_cache[host]
    except KeyError:
        pass
    backend = fn(self, host)
    if backend is not None:
        with _dispatch_lock:
            if len(_dispatch_cache) < DISPATCH_CACHE_LIMIT:
                _dispatch_cache[host] = backend
    return backend


_registered_backend_dicts: set[str] = set()  # BackendDict._id of those registered since the last reset


@patch(target=BackendDict.__getitem__)
def account_backend_lookup_in_constant_time(fn: Any, self: BackendDict, account_id: str) -> Any:
    """`<service>_backends[account]`: an account already created is returned without moto's bookkeeping.

    Gap: moto's lookup takes the global backend lock, copies the dict's keys and scans every
    BackendDict instance (a Python `__eq__` each, about 150 services) to register itself, on every
    lookup; a request makes several (6 % of the emulator's GIL samples in a soak at 1,500 records/s).
    Fix: once this BackendDict went through moto's lookup since the last reset (so it is registered
    for the next reset), an account it holds is returned directly; anything else goes through moto's
    path, which creates and registers as before.
    """
    if self._id in _registered_backend_dicts and dict.__contains__(self, account_id):
        return dict.__getitem__(self, account_id)
    found = fn(self, account_id)
    _registered_backend_dicts.add(self._id)
    return found


@patch(target=BackendDict.reset)
def forget_registrations_on_reset(fn: Any, cls: type) -> None:
    """moto's reset of every backend: the constant-time lookup registers each BackendDict again.

    Gap: moto's reset unregisters every BackendDict, and `account_backend_lookup_in_constant_time`
    would otherwise skip registering it again (so the next reset would miss its accounts).
    Fix: forget which were registered, then reset as moto does.
    """
    _registered_backend_dicts.clear()
    fn(cls)
