"""How an API Gateway REST API stage picks the resource and method for a request (pure logic).

Contract: `match(stages, http_method, path)` -> `Match` or None. `path` is the request path as sent
to the invoke URL's host: `/<stage>/<resource path>` (a query string is ignored). None means API
Gateway answers 403 `{"message": "Missing Authentication Token"}`: no stage of that name, no resource
for the path, or a resource without that method (and without ANY). A REST API never answers 404 or
405 for these; it does not fall back to a less specific resource when the best one lacks the method.

Resource selection, as API Gateway does it: a path part matches a literal part first, then a
`{name}` parameter (one non-empty segment), then a greedy `{name+}` (the last part of a resource;
one or more segments). Between two resources the one with the more specific part at the first
differing position wins. Segments are compared percent-decoded; parameters are captured decoded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

ANY = "ANY"
LITERAL, PARAMETER, GREEDY = 2, 1, 0  # specificity of a resource path part (higher wins)


@dataclass(frozen=True)
class Resource:
    """One resource of a deployment: its path template and the methods defined on it."""

    path: str  # "/", "/v1/notifications", "/vehicles/{vehicleId}", "/{proxy+}"
    methods: dict[str, dict] = field(default_factory=dict, hash=False, compare=False)  # "POST"/"ANY" -> summary


@dataclass(frozen=True)
class Stage:
    """A stage of a REST API and the resources of the deployment it serves."""

    api_id: str
    name: str
    deployment_id: str
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class Match:
    stage: Stage
    resource: Resource
    method: str  # the key that matched: the request's method, or ANY
    path_parameters: dict[str, str]


def _parts(template: str) -> list[str]:
    return [part for part in template.split("/") if part]


def _kind(part: str) -> int:
    if part.startswith("{") and part.endswith("+}"):
        return GREEDY
    if part.startswith("{") and part.endswith("}"):
        return PARAMETER
    return LITERAL


def _bind(template: list[str], segments: list[str]) -> dict[str, str] | None:
    """The path parameters when `segments` match `template`, else None."""
    params: dict[str, str] = {}
    for index, part in enumerate(template):
        kind = _kind(part)
        if kind == GREEDY:
            rest = segments[index:]
            if index != len(template) - 1 or not rest or not all(rest):
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if kind == PARAMETER:
            if not segments[index]:
                return None
            params[part[1:-1]] = segments[index]
        elif segments[index] != part:
            return None
    return params if len(template) == len(segments) else None


def resolve(resources: Iterable[Resource], segments: list[str]) -> tuple[Resource, dict[str, str]] | None:
    """The most specific resource matching the path segments (after the stage), with its parameters."""
    best: tuple[tuple[int, ...], Resource, dict[str, str]] | None = None
    for resource in resources:
        template = _parts(resource.path)
        params = _bind(template, segments)
        if params is None:
            continue
        rank = tuple(_kind(part) for part in template)
        if best is None or rank > best[0]:
            best = (rank, resource, params)
    return (best[1], best[2]) if best else None


def match(stages: Iterable[Stage], http_method: str, path: str) -> Match | None:
    """The stage, resource and method serving `http_method path`, or None (API Gateway's 403)."""
    raw = path.split("?", 1)[0].split("#", 1)[0]
    segments = [unquote(part) for part in raw.lstrip("/").split("/")]
    stage_name, rest = segments[0], segments[1:]
    if rest == [""]:  # "/dev/" is the stage root, as "/dev" is
        rest = []
    for stage in sorted((s for s in stages if s.name == stage_name and stage_name), key=lambda s: s.api_id):
        found = resolve(stage.resources, rest)
        if found is None:
            continue
        resource, params = found
        method = http_method.upper() if http_method.upper() in resource.methods else ANY
        if method in resource.methods:
            return Match(stage, resource, method, params)
    return None
