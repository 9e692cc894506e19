"""Application Auto Scaling: tags of scalable targets (Terraform's aws_appautoscaling_target reads them)."""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

from harness.emulator.patches.registry import patch

# ResourceARN -> tags. One emulator process serves one account and region per stack.
_TAGS: dict[str, dict[str, str]] = {}


@patch(target=ApplicationAutoScalingResponse.register_scalable_target)
def register_keeps_tags(fn: Any, self: ApplicationAutoScalingResponse) -> str:
    """RegisterScalableTarget keeps the request's Tags.

    Gap: moto ignores the Tags of RegisterScalableTarget, so a target created with tags (the provider
    sends the stack's default tags) reads back without them and every plan shows a tags diff.
    Fix: record them under the target's ARN, which ListTagsForResource answers from.
    """
    body = fn(self)
    tags = self._get_param("Tags")
    if tags:
        _TAGS.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(tags)
    return body


@patch(ApplicationAutoScalingResponse, "list_tags_for_resource", pass_target=False)
def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    """ListTagsForResource of a scalable target.

    Gap: moto does not implement it (NotImplementedError, a 500), and Terraform's
    aws_appautoscaling_target reads the tags after every create and refresh, so the apply of a stack
    with DynamoDB autoscaling failed. Fix: answer from the tags kept by RegisterScalableTarget and
    TagResource.
    """
    return json.dumps({"Tags": _TAGS.get(self._get_param("ResourceARN"), {})})


@patch(ApplicationAutoScalingResponse, "tag_resource", pass_target=False)
def tag_resource(self: ApplicationAutoScalingResponse) -> str:
    """TagResource of a scalable target.

    Gap: not implemented in moto; Terraform calls it when a target's tags change.
    Fix: merge the tags into the kept ones.
    """
    _TAGS.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
    return "{}"


@patch(ApplicationAutoScalingResponse, "untag_resource", pass_target=False)
def untag_resource(self: ApplicationAutoScalingResponse) -> str:
    """UntagResource of a scalable target.

    Gap: not implemented in moto; Terraform calls it when a tag is removed.
    Fix: drop the named keys from the kept tags.
    """
    kept = _TAGS.get(self._get_param("ResourceARN"), {})
    for key in self._get_param("TagKeys") or []:
        kept.pop(key, None)
    return "{}"
