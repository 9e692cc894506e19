"""Keep the example tfvars comment block at the end of infra/tap_stack.tf identical to infra/*.tfvars.

The request asks for the three example var files at the end of tap_stack.tf; the real files live
next to it. `python -m harness.tf.examples` rewrites the block from the files; `extract()` parses the
block back (used by tests/infra to prove the copies are identical).
"""

from __future__ import annotations

import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parents[2] / "infra"
ENVS = ("dev", "staging", "prod")
BEGIN = "# ==== BEGIN EXAMPLE TFVARS (generated from infra/*.tfvars by python -m harness.tf.examples) ===="
END = "# ==== END EXAMPLE TFVARS ===="


def _comment(line: str) -> str:
    return "#" if not line else f"# {line}"


def render(infra: Path = INFRA) -> str:
    out = [BEGIN]
    for env in ENVS:
        out.append(f"# ---- {env}.tfvars ----")
        text = (infra / f"{env}.tfvars").read_text()
        out.extend(_comment(line) for line in text.rstrip("\n").split("\n"))
    out.append(END)
    return "\n".join(out) + "\n"


def extract(stack_text: str) -> dict[str, str]:
    """Return {env: tfvars text} parsed from the comment block of tap_stack.tf."""
    lines = stack_text.split("\n")
    start, stop = lines.index(BEGIN), lines.index(END)
    files: dict[str, list[str]] = {}
    current = None
    for line in lines[start + 1 : stop]:
        if line.startswith("# ---- ") and line.endswith(".tfvars ----"):
            current = line[len("# ---- ") : -len(".tfvars ----")]
            files[current] = []
            continue
        if current is None:
            raise ValueError(f"text before the first file marker: {line!r}")
        if line == "#":
            files[current].append("")
        elif line.startswith("# "):
            files[current].append(line[2:])
        else:
            raise ValueError(f"not a comment line inside the example block: {line!r}")
    return {env: "\n".join(body) + "\n" for env, body in files.items()}


def sync(infra: Path = INFRA) -> bool:
    """Rewrite the block; return True when the file changed."""
    path = infra / "tap_stack.tf"
    text = path.read_text()
    block = render(infra)
    if BEGIN in text:
        head = text[: text.index(BEGIN)]
        tail = text[text.index(END) + len(END) :].lstrip("\n")
        new = head + block + tail
    else:
        new = text.rstrip("\n") + "\n\n" + block
    if new != text:
        path.write_text(new)
        return True
    return False


if __name__ == "__main__":
    changed = sync()
    print("tap_stack.tf example block " + ("updated" if changed else "already up to date"))
    sys.exit(0)
