"""Athena: UpdateWorkGroup (a changed workgroup configuration applies in place)."""

from __future__ import annotations

from typing import Any

from moto.athena.responses import AthenaResponse

from harness.emulator.patches.registry import patch

# ConfigurationUpdates keys that replace the configuration's key of the same name.
_SET = (
    "EnforceWorkGroupConfiguration",
    "PublishCloudWatchMetricsEnabled",
    "BytesScannedCutoffPerQuery",
    "RequesterPaysEnabled",
    "EngineVersion",
)


def apply_configuration_updates(configuration: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """The workgroup configuration after UpdateWorkGroup's ConfigurationUpdates (AWS's field semantics)."""
    updated = dict(configuration)
    for key in _SET:
        if key in updates:
            updated[key] = updates[key]
    if updates.get("RemoveBytesScannedCutoffPerQuery"):
        updated.pop("BytesScannedCutoffPerQuery", None)
    result_updates = updates.get("ResultConfigurationUpdates")
    if result_updates:
        result = dict(updated.get("ResultConfiguration") or {})
        for key in ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner", "AclConfiguration"):
            if key in result_updates:
                result[key] = result_updates[key]
            if result_updates.get(f"Remove{key}"):
                result.pop(key, None)
        updated["ResultConfiguration"] = result
    return updated


@patch(AthenaResponse, "update_work_group", pass_target=False)
def update_work_group(self: AthenaResponse) -> str | tuple[str, dict[str, int]]:
    """UpdateWorkGroup: configuration, description and state.

    Gap: moto does not implement it (NotImplementedError, a 500), so any change of an applied
    workgroup (the bytes-scanned cutoff, the result encryption) failed `make apply` on a running stack.
    Fix: apply ConfigurationUpdates, Description and State to moto's workgroup.
    """
    work_group = self.athena_backend.work_groups.get(self._get_param("WorkGroup"))
    if work_group is None:
        return self.error("WorkGroup does not exist", 400)
    work_group.configuration = apply_configuration_updates(
        work_group.configuration or {}, self._get_param("ConfigurationUpdates") or {}
    )
    if self._get_param("Description") is not None:
        work_group.description = self._get_param("Description")
    if self._get_param("State"):
        work_group.state = self._get_param("State")
    return "{}"
