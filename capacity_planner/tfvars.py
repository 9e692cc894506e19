"""Reader for the subset of HCL used by `*.tfvars` files.

Supported: `key = value` assignments; numbers, quoted strings (with `\\"`-style escapes), bools,
null; lists `[a, b]` and maps `{ k = v, "k2" = v }` over several lines; `#`, `//` and `/* */`
comments. Anything else (expressions, heredocs, function calls) raises `TfvarsError` naming the
line, because the capacity planner must never guess a capacity it could not read.
A hand-written parser keeps the planner free of new dependencies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<newline>\n)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<punct>[=\[\]{},:])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class TfvarsError(ValueError):
    """The file uses HCL outside the supported subset, or is malformed."""


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    line, position = 1, 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise TfvarsError(f"line {line}: unsupported syntax near {text[position : position + 20]!r}")
        kind, value = match.lastgroup, match.group()
        if kind == "newline":
            tokens.append(("newline", value, line))
        elif kind not in ("ws", "comment"):
            tokens.append((kind, value, line))
        line += value.count("\n")
        position = match.end()
    tokens.append(("eof", "", line))
    return tokens


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    if "${" in body:
        raise TfvarsError(f"string interpolation is not supported: {raw}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def skip_newlines(self) -> None:
        while self.peek()[0] == "newline":
            self.index += 1

    def expect(self, value: str) -> None:
        kind, got, line = self.take()
        if got != value:
            raise TfvarsError(f"line {line}: expected {value!r}, got {got or kind!r}")

    def document(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.skip_newlines()
        while self.peek()[0] != "eof":
            kind, name, line = self.take()
            if kind != "ident":
                raise TfvarsError(f"line {line}: expected a variable name, got {name!r}")
            self.expect("=")
            result[name] = self.value()
            kind, got, line = self.peek()
            if kind not in ("newline", "eof"):
                raise TfvarsError(f"line {line}: unexpected {got!r} after value of {name}")
            self.skip_newlines()
        return result

    def value(self) -> Any:
        self.skip_newlines()
        kind, raw, line = self.take()
        if kind == "string":
            return _unquote(raw)
        if kind == "number":
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        if kind == "ident" and raw in ("true", "false"):
            return raw == "true"
        if kind == "ident" and raw == "null":
            return None
        if raw == "[":
            return self.list_body()
        if raw == "{":
            return self.map_body()
        raise TfvarsError(f"line {line}: unsupported value {raw!r}")

    def list_body(self) -> list[Any]:
        items: list[Any] = []
        while True:
            self.skip_newlines()
            if self.peek()[1] == "]":
                self.take()
                return items
            items.append(self.value())
            self.skip_newlines()
            if self.peek()[1] == ",":
                self.take()

    def map_body(self) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        while True:
            self.skip_newlines()
            kind, raw, line = self.take()
            if raw == "}":
                return entries
            if kind == "string":
                key = _unquote(raw)
            elif kind in ("ident", "number"):
                key = raw
            else:
                raise TfvarsError(f"line {line}: expected a map key, got {raw!r}")
            separator = self.take()
            if separator[1] not in ("=", ":"):
                raise TfvarsError(f"line {separator[2]}: expected '=' after map key {key!r}")
            entries[key] = self.value()
            if self.peek()[1] == ",":
                self.take()


def parse_tfvars(text: str) -> dict[str, Any]:
    """Parse tfvars text into plain Python values."""
    return _Parser(text).document()


def load_tfvars(path: str | Path) -> dict[str, Any]:
    return parse_tfvars(Path(path).read_text(encoding="utf-8"))


def extract_assignment(text: str, name: str) -> str | None:
    """The text of `name = { ... }` from a .tf file (first occurrence), braces balanced outside
    strings and comments, so the planner can read a `locals` map such as the per-environment
    `capacity` without understanding the rest of the HCL."""
    match = re.search(rf"^\s*{re.escape(name)}\s*=\s*\{{", text, re.MULTILINE)
    if match is None:
        return None
    depth, index, in_string = 0, match.end() - 1, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or text.startswith("//", index):
            index = text.find("\n", index)
            if index < 0:
                return None
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[match.start() : index + 1].strip()
        index += 1
    return None


def stack_capacity_locals(tf_text: str, env: str, name: str = "capacity") -> dict[str, Any]:
    """`locals { capacity = { <env> = {...} } }` of tap_stack.tf as a dict ({} when absent)."""
    block = extract_assignment(tf_text, name)
    if block is None:
        return {}
    return dict(parse_tfvars(block).get(name, {}).get(env) or {})
