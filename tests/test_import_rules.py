"""Import rules between the tree's packages, read from each module's source with `ast` (nothing is
imported, so a rule holds for code paths no test runs):

- sim/ (the simulator library) imports none of harness, scenario_runner, loadtest, capacity_planner;
- handlers/ (what ships to Lambda) imports none of harness, sim, scenario_runner, loadtest,
  capacity_planner, benchmarks, preflight or operations;
- handlers/domain/ (the pure core) imports none of boto3, botocore, redis, psycopg,
  aws_lambda_powertools, handlers.common.

Every import counts, at module level or inside a function, `import x` or `from x import y`;
relative imports are resolved against the module's package first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

RULES = {
    "sim": ("harness", "scenario_runner", "loadtest", "capacity_planner"),
    "handlers": (
        "harness",
        "sim",
        "scenario_runner",
        "loadtest",
        "capacity_planner",
        "benchmarks",
        "preflight",
        "operations",
    ),
    "handlers/domain": ("boto3", "botocore", "redis", "psycopg", "aws_lambda_powertools", "handlers.common"),
}


def imported_modules(path: Path, root: Path = REPO_ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file at `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = list(path.relative_to(root).parts[:-1])  # a module's package; for __init__.py, its own
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from pkg import sub` may name a submodule: count pkg.sub as imported too.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def forbidden(module: str, banned: tuple[str, ...]) -> str | None:
    for name in banned:
        if module == name or module.startswith(name + "."):
            return name
    return None


def violations(folder: str, banned: tuple[str, ...], root: Path = REPO_ROOT) -> list[str]:
    """'path:line imports module (banned: name)' for every offending import under `folder`."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for line, module in imported_modules(path, root):
            name = forbidden(module, banned)
            if name:
                found.append(f"{path.relative_to(root)}:{line} imports {module} (not allowed under {folder}/: {name})")
    return sorted(set(found))


@pytest.mark.parametrize("folder", sorted(RULES))
def test_package_imports_follow_the_rules(folder):
    assert (REPO_ROOT / folder).is_dir(), f"{folder}/ is missing: update RULES"
    assert list((REPO_ROOT / folder).rglob("*.py")), f"no Python files under {folder}/"
    assert violations(folder, RULES[folder]) == []


@pytest.mark.parametrize(
    "source, offending",
    [
        ("import harness.config\n", "harness.config"),
        ("def f():\n    from harness import services\n", "harness"),
        ("from scenario_runner.run import main\n", "scenario_runner.run"),
        ("import loadtest\n", "loadtest"),
    ],
)
def test_an_offending_import_is_named_with_its_file_and_line(tmp_path, source, offending):
    module = tmp_path / "sim" / "bad.py"
    module.parent.mkdir()
    module.write_text(source)
    found = violations("sim", RULES["sim"], root=tmp_path)
    assert found and found[0].startswith(f"{Path('sim', 'bad.py')}:")
    assert f"imports {offending} " in found[0]


def test_relative_imports_are_resolved_against_the_package(tmp_path):
    module = tmp_path / "handlers" / "domain" / "rules.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..common import config\nfrom . import hos\n")
    found = violations("handlers/domain", RULES["handlers/domain"], root=tmp_path)
    assert found == [
        f"{Path('handlers', 'domain', 'rules.py')}:1 imports handlers.common "
        f"(not allowed under handlers/domain/: handlers.common)",
        f"{Path('handlers', 'domain', 'rules.py')}:1 imports handlers.common.config "
        f"(not allowed under handlers/domain/: handlers.common)",
    ]


def test_names_that_only_share_a_prefix_are_allowed(tmp_path):
    module = tmp_path / "sim" / "ok.py"
    module.parent.mkdir()
    module.write_text("import simpy\nimport harnessed\nfrom sim.config import SimConfig\n")
    assert violations("sim", RULES["sim"], root=tmp_path) == []
