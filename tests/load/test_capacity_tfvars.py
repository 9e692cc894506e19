"""The tfvars reader accepts the HCL subset our var files use and rejects the rest loudly."""

import pytest

from capacity_planner.tfvars import TfvarsError, parse_tfvars

SAMPLE = """
# Prod sizing: see docs/contracts.md
env          = "prod"
gps_shard_count = 12   // 7,800 rec/s
ratio = 0.5
enable_nat_gateway = true
snapshot = null
/* block
   comment */
private_subnet_cidrs = [
  "10.0.1.0/24",
  "10.0.2.0/24",   # trailing comma allowed
]
common_tags = {
  Owner      = "fleet-ops"
  "cost-center" = "CC-42"
  nested = { a = 1, b = [1, 2] }
}
label = "say \\"hi\\" # not a comment"
"""


def test_parses_scalars_lists_maps_and_comments():
    values = parse_tfvars(SAMPLE)
    assert values["env"] == "prod"
    assert values["gps_shard_count"] == 12 and isinstance(values["gps_shard_count"], int)
    assert values["ratio"] == 0.5
    assert values["enable_nat_gateway"] is True
    assert values["snapshot"] is None
    assert values["private_subnet_cidrs"] == ["10.0.1.0/24", "10.0.2.0/24"]
    assert values["common_tags"] == {"Owner": "fleet-ops", "cost-center": "CC-42", "nested": {"a": 1, "b": [1, 2]}}
    assert values["label"] == 'say "hi" # not a comment'


@pytest.mark.parametrize(
    "text",
    [
        "x = var.other\n",  # expressions
        'x = "${var.a}-b"\n',  # interpolation
        "x = 1 y = 2\n",  # two assignments on a line
        "x = [1, 2\n",  # unterminated list
        "x = <<EOT\nhello\nEOT\n",  # heredoc
    ],
)
def test_rejects_syntax_outside_the_subset(text):
    with pytest.raises(TfvarsError):
        parse_tfvars(text)
