"""A copy of the stack with one mis-wired event source mapping fails where AWS would fail it.

The copy of infra/ maps the processor to the GPS stream instead of the diagnostics stream (a
one-word slip in `kinesis_mappings`) and is applied beside the real stack under another project
name. The processor's role may read only the diagnostics stream (least privilege), so Lambda's
CreateEventSourceMapping refuses the mapping, as on AWS: the apply fails with Lambda's
InvalidParameterValueException naming the stream, before any record is misrouted.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from harness import terraform

pytestmark = pytest.mark.slow

# Unique per run: with FLEETTAP_E2E_STACK_DIR the emulator may still hold an earlier copy.
PROJECT = f"brk{uuid.uuid4().hex[:6]}"
CORRECT_LINE = 'processor  = "diagnostics"'
BROKEN_LINE = 'processor  = "gps"'


def test_mis_wired_mapping_fails_the_apply_as_on_aws(deployed_stack, tmp_path_factory, monkeypatch):
    infra_copy = tmp_path_factory.mktemp("infra-broken")
    for source in terraform.INFRA_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, infra_copy / source.name)
    stack_tf = infra_copy / "tap_stack.tf"
    text = stack_tf.read_text()
    assert text.count(CORRECT_LINE) == 1, "the processor mapping line moved: update this test"
    stack_tf.write_text(text.replace(CORRECT_LINE, BROKEN_LINE))
    monkeypatch.setattr(terraform, "INFRA_DIR", infra_copy)
    work = tmp_path_factory.mktemp("tf-broken")
    terraform.init("dev", deployed_stack.info, state_dir=work)

    with pytest.raises(terraform.TerraformError) as failed:
        terraform.apply("dev", deployed_stack.info, state_dir=work, extra_vars={"project_name": PROJECT})

    message = " ".join(str(failed.value).split())  # Terraform wraps long lines
    assert 'aws_lambda_event_source_mapping.kinesis["processor"]' in message
    assert "InvalidParameterValueException" in message
    assert f"Cannot access stream arn:aws:kinesis:us-east-1:123456789012:stream/{PROJECT}-dev-gps" in message
