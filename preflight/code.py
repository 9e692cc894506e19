"""What the handler code does, read with `ast` (never imported): the AWS calls each handler module
makes (service, method, the configuration setting that names the resource), directly or through the
shared adapters it imports, its HTTP calls (method, URL setting, path) and its clients' timeouts.

Contract: `Handlers(root).aws_calls(module)` -> sorted `AwsCall`s made by `handlers.<module>` and by
every `handlers.*` module it imports (transitively); a call whose resource is a parameter of an
adapter function or class (secrets.get_secret(arn), DynamoBatchWriter(table)) is attributed to the
setting its caller passes. `setting` is the handler config field (e.g. "driver_logs_table") or None
when the code does not say. `http_calls(module)` and `client_settings(module)` work the same way.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Keyword of each service's calls that names the resource.
RESOURCE_KEYWORDS = (
    "TableName",
    "TopicArn",
    "QueueUrl",
    "SecretId",
    "Bucket",
    "EndpointName",
    "StreamName",
    "RequestItems",
)


@dataclass(frozen=True, order=True)
class AwsCall:
    service: str
    method: str
    setting: str | None
    module: str  # where the call is written
    line: int
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class HttpCall:
    method: str
    setting: str  # config field holding the base URL, e.g. "pdf_api_url"
    path: str
    module: str
    line: int


def _config_setting(node: ast.AST) -> str | None:
    """`get_config().x`, `cfg.x`, `get_config().require("x")`, `cfg.require("x")` -> "x"."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "require":
        if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return node.args[0].value
    if isinstance(node, ast.Attribute) and node.attr != "require":
        base = node.value
        if (isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "get_config") or (
            isinstance(base, ast.Name) and base.id == "cfg"
        ):
            return node.attr
    return None


def _client_service(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return node.args[0].value
    return None


class _Module:
    """One parsed module: its handlers.* imports, AWS calls, adapter templates and calls to names."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.tree = name, ast.parse(path.read_text(), str(path))
        self.imports = self._imports()
        self.calls: list[AwsCall] = []
        self.settings: dict[str, str] = {}  # local names assigned from a config setting (module-wide)
        # adapter name (function or class) -> [(param index, AwsCall with setting None)]
        self.templates: dict[str, list[tuple[int, AwsCall]]] = {}
        self._scan()

    def _imports(self) -> set[str]:
        found = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("handlers"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("handlers"))
        return found

    def _scan(self) -> None:
        for scope in [self.tree] + [n for n in ast.walk(self.tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]:
            if isinstance(scope, ast.ClassDef):
                init = next((n for n in scope.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                params = [a.arg for a in init.args.args[1:]] if init else []
                self._scan_function(scope, params, scope.name, self_attrs=True)
            elif isinstance(scope, ast.FunctionDef):
                self._scan_function(scope, [a.arg for a in scope.args.args], scope.name)
            else:
                self._scan_function(scope, [], None, top=True)

    def _scan_function(self, scope, params, owner, self_attrs=False, top=False) -> None:
        clients: dict[str, str] = {}
        nodes = (
            ast.walk(scope)
            if not top
            else (
                n
                for stmt in scope.body
                if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef))
                for n in ast.walk(stmt)
            )
        )
        nodes = list(nodes)
        for node in nodes:  # name = client("svc"), also inside tuple assignments
            if isinstance(node, ast.Assign):
                pairs = []
                for target in node.targets:
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        pairs += list(zip(target.elts, node.value.elts))
                    else:
                        pairs.append((target, node.value))
                for target, value in pairs:
                    service = _client_service(value)
                    if service and isinstance(target, ast.Name):
                        clients[target.id] = service
                    elif isinstance(target, ast.Name) and _config_setting(value):
                        self.settings[target.id] = _config_setting(value)
        for node in nodes:
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            service = _client_service(receiver) or (
                clients.get(receiver.id) if isinstance(receiver, ast.Name) else None
            )
            if not service:
                continue
            keywords = tuple(sorted(k.arg for k in node.keywords if k.arg))
            resource = next((k.value for k in node.keywords if k.arg in RESOURCE_KEYWORDS), None)
            if isinstance(resource, ast.Dict) and resource.keys:
                resource = resource.keys[0]
            setting = self.setting_of(resource) if resource is not None else None
            call = AwsCall(service, node.func.attr, setting, self.name, node.lineno, keywords)
            param = None
            if setting is None and resource is not None and owner:
                if isinstance(resource, ast.Name) and resource.id in params:
                    param = params.index(resource.id)
                elif (
                    self_attrs
                    and isinstance(resource, ast.Attribute)
                    and isinstance(resource.value, ast.Name)
                    and resource.value.id == "self"
                    and resource.attr in params
                ):
                    param = params.index(resource.attr)
            if param is not None:
                self.templates.setdefault(owner, []).append((param, call))
            elif not (
                not self_attrs
                and isinstance(resource, ast.Attribute)
                and isinstance(resource.value, ast.Name)
                and resource.value.id == "self"
            ):  # a method's self.<attr>: the class scan owns it
                self.calls.append(call)

    def setting_of(self, node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Name):
            return self.settings.get(node.id)
        return _config_setting(node) if node is not None else None

    def calls_to(self, name: str) -> list[tuple[ast.Call, ast.FunctionDef | None]]:
        """Calls to a function or class named `name` (not boto3 client methods), with the enclosing def."""
        out = []
        for scope in ast.walk(self.tree):
            if not isinstance(scope, (ast.Module, ast.FunctionDef)):
                continue
            body = scope.body
            for stmt in body:
                if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                    continue
                for node in ast.walk(stmt):
                    if not isinstance(node, ast.Call):
                        continue
                    func = node.func
                    called = (
                        func.id
                        if isinstance(func, ast.Name)
                        else func.attr
                        if isinstance(func, ast.Attribute)
                        else None
                    )
                    is_client_method = isinstance(func, ast.Attribute) and (
                        _client_service(func.value) or isinstance(func.value, ast.Name)
                    )
                    if called == name and not (
                        is_client_method
                        and name[:1].islower()
                        and "_" in name + "_"
                        and _client_service(getattr(func, "value", None))
                    ):
                        out.append((node, scope if isinstance(scope, ast.FunctionDef) else None))
        return out


class Handlers:
    def __init__(self, root: Path) -> None:
        self.root = root  # the directory holding the `handlers` package

    @cache  # noqa: B019 (one Handlers per preflight run: the cache lives exactly as long as it)
    def _module(self, name: str) -> _Module | None:
        path = self.root / (name.replace(".", "/") + ".py")
        if not path.is_file():
            return None
        return _Module(name, path)

    def closure(self, module: str) -> list[_Module]:
        """handlers.<module> and every handlers.* module it imports, transitively."""
        seen: dict[str, _Module] = {}
        pending = [f"handlers.{module}"]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            parsed = self._module(name)
            if parsed is None:
                continue
            seen[name] = parsed
            pending.extend(parsed.imports)
        return list(seen.values())

    def aws_calls(self, module: str) -> list[AwsCall]:
        modules = self.closure(module)
        calls = [c for m in modules for c in m.calls]
        # Adapters pass their parameter on (get_secret_json(arn) -> get_secret(arn)): follow the chain
        # until a call site names a setting, then attribute the AWS call to that setting.
        templates = {(owner, i, t) for m in modules for owner, ts in m.templates.items() for i, t in ts}
        done: set = set()
        while templates - done:
            owner, index, template = (templates - done).pop()
            done.add((owner, index, template))
            for caller in modules:
                for site, scope in caller.calls_to(owner):
                    if site.lineno == template.line and caller.name == template.module:
                        continue  # the client call itself (client("sns").publish inside publish)
                    arg = site.args[index] if index < len(site.args) else None
                    params = [a.arg for a in scope.args.args] if scope is not None else []
                    if isinstance(arg, ast.Name) and arg.id in params:
                        templates.add((scope.name, params.index(arg.id), template))
                        continue
                    calls.append(
                        AwsCall(
                            template.service,
                            template.method,
                            caller.setting_of(arg),
                            f"{caller.name} -> {template.module}",
                            site.lineno,
                            template.keywords,
                        )
                    )
        return sorted(set(calls), key=lambda c: (c.service, c.method, c.setting or "", c.module, c.line))

    def http_calls(self, module: str) -> list[HttpCall]:
        out = []
        for parsed in self.closure(module):
            for node in ast.walk(parsed.tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "request"
                    and len(node.args) >= 2
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[1], ast.JoinedStr)
                ):
                    continue
                parts = node.args[1].values
                if parts and isinstance(parts[0], ast.FormattedValue):
                    setting = _config_setting(parts[0].value)
                    path = "".join(p.value for p in parts[1:] if isinstance(p, ast.Constant))
                    if setting:
                        out.append(HttpCall(node.args[0].value, setting, path, parsed.name, node.lineno))
        return sorted(out)

    def constructor_keywords(self, module: str, names: tuple[str, ...]) -> list[tuple[str, str, dict]]:
        """Constant keyword arguments of calls to `names` (urllib3.Timeout, Retry, BotoConfig, redis.Redis,
        psycopg.connect, PoolManager ...) in the module's closure: [(module, name, {keyword: value})]."""
        out = []
        for parsed in self.closure(module):
            for node in ast.walk(parsed.tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if called not in names:
                    continue
                values = {}
                for keyword in node.keywords:
                    if keyword.arg is None:
                        continue
                    try:
                        values[keyword.arg] = ast.literal_eval(keyword.value)
                    except ValueError:
                        values[keyword.arg] = None
                out.append((parsed.name, called, values))
        return out

    def module_names(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "handlers").glob("*.py") if p.stem != "__init__")
