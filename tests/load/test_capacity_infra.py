"""The planner against the repository's own infra/: prod.tfvars carries 234,000 vehicles, and the
same file with too few shards is flagged. Parallelization comes from tap_stack.tf's locals."""

import re
from pathlib import Path

from capacity_planner.cli import main
from capacity_planner.tfvars import extract_assignment, load_tfvars, stack_capacity_locals

INFRA = Path(__file__).resolve().parents[2] / "infra"


def test_repository_prod_tfvars_carries_234k_vehicles(capsys):
    assert main(["--env", "prod", "--vehicles", "234000"]) == 0
    out = capsys.readouterr().out
    assert "OK: every capacity meets the requirement" in out
    # prod parallelization factor 4 (tap_stack.tf locals) x 12 gps shards
    assert re.search(r"location concurrency\s+48\s", out)


def test_prod_with_too_few_gps_shards_is_flagged(tmp_path, capsys):
    text = (INFRA / "prod.tfvars").read_text()
    assert "gps_shard_count         = 12" in text
    short = tmp_path / "prod.tfvars"
    short.write_text(text.replace("gps_shard_count         = 12", "gps_shard_count         = 8"))
    assert main(["--env", "prod", "--tfvars", str(short)]) == 1
    assert "SHORT: kinesis/gps shards needs 12 shards, has 8" in capsys.readouterr().out


def test_every_env_tfvars_parses():
    for env in ("dev", "staging", "prod"):
        values = load_tfvars(INFRA / f"{env}.tfvars")
        assert values["env"] == env
        assert values["gps_shard_count"] >= 1


def test_capacity_locals_read_from_the_stack_file():
    stack = (INFRA / "tap_stack.tf").read_text()
    assert stack_capacity_locals(stack, "prod")["parallelization_factor"] == 4
    assert stack_capacity_locals(stack, "dev")["parallelization_factor"] == 1


def test_extract_assignment_balances_braces_outside_strings_and_comments():
    text = 'locals {\n  other = 1\n  capacity = {\n    dev = { a = "}" # }\n    }\n  }\n  after = 2\n}\n'
    block = extract_assignment(text, "capacity")
    assert block.startswith("capacity = {") and block.endswith("}")
    assert stack_capacity_locals(text, "dev") == {"a": "}"}
    assert extract_assignment(text, "missing") is None
