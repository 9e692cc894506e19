"""Lambda Invoke runs the function's own uploaded zip in a local execution environment."""

from __future__ import annotations

import json
import uuid

from tests.runtime import fixture_function


def _deploy(stack, tmp_path, **kwargs):
    name = f"fn-{uuid.uuid4().hex[:8]}"
    fixture_function.deploy(stack, name, str(tmp_path / "observed.jsonl"), **kwargs)
    return name


def test_invoke_runs_the_uploaded_handler_with_its_environment(runtime_stack, tmp_path):
    name = _deploy(runtime_stack, tmp_path, extra_env={"GREETING": "hello"})
    response = runtime_stack.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"x": 1}).encode())
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response
    assert payload == {"echo": {"x": 1}, "function": name, "held": 0, "memory": 256, "greeting": "hello"}
    log_text = (runtime_stack.state_dir / "logs" / f"{name}.log").read_text()
    assert "cold start" in log_text and "REPORT RequestId" in log_text


def test_handler_exception_is_a_function_error(runtime_stack, tmp_path):
    name = _deploy(runtime_stack, tmp_path)
    response = runtime_stack.client("lambda").invoke(FunctionName=name, Payload=b'{"fail": "raise"}')
    payload = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "asked to fail"


def test_timeout_kills_the_environment_and_the_next_invoke_cold_starts(runtime_stack, tmp_path):
    name = _deploy(runtime_stack, tmp_path, timeout=1)
    lambda_client = runtime_stack.client("lambda")
    slow = lambda_client.invoke(FunctionName=name, Payload=b'{"sleep": 5}')
    assert slow["FunctionError"] == "Unhandled"
    assert json.loads(slow["Payload"].read())["errorType"] == "Sandbox.Timedout"
    fast = lambda_client.invoke(FunctionName=name, Payload=b'{"x": 2}')
    assert "FunctionError" not in fast
    log_text = (runtime_stack.state_dir / "logs" / f"{name}.log").read_text()
    assert log_text.count("cold start") == 2 and "timed out after 1 s" in log_text


def test_updated_code_replaces_the_warm_environment(runtime_stack, tmp_path):
    name = _deploy(runtime_stack, tmp_path)
    lambda_client = runtime_stack.client("lambda")
    lambda_client.invoke(FunctionName=name, Payload=b"{}")
    source = fixture_function.HANDLER_SOURCE.replace('"echo": event', '"echo": "v2"')
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fixture_fn.py", source)
    lambda_client.update_function_code(FunctionName=name, ZipFile=buffer.getvalue())
    payload = json.loads(lambda_client.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert payload["echo"] == "v2"


def test_cold_start_puts_the_local_credentials_into_the_functions_secret(runtime_stack, tmp_path):
    stack_file = runtime_stack.state_dir / "stack.json"
    stack_file.write_text(
        json.dumps(
            {
                "postgres": {
                    "host": "127.0.0.1",
                    "port": 15439,
                    "user": "fleettap",
                    "password": "local-pw",
                    "dbname": "fleettap",
                }
            }
        )
    )
    try:
        secrets = runtime_stack.client("secretsmanager")
        arn = secrets.create_secret(
            Name=f"db-{uuid.uuid4().hex[:6]}", SecretString='{"username": "x", "password": "aws"}'
        )["ARN"]
        name = _deploy(runtime_stack, tmp_path, extra_env={"DB_SECRET_ARN": arn})
        runtime_stack.client("lambda").invoke(FunctionName=name, Payload=b"{}")
        value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
        assert (value["username"], value["password"], value["port"]) == ("fleettap", "local-pw", 15439)
    finally:
        stack_file.unlink()
