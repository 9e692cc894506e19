"""What preflight.code reads from handler source: AWS calls through adapters, HTTP paths."""

from __future__ import annotations

import textwrap

from preflight.code import Handlers


def _package(tmp_path, files: dict[str, str]) -> Handlers:
    for name, text in files.items():
        path = tmp_path / "handlers" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return Handlers(tmp_path)


ADAPTERS = {
    "common/__init__": "",
    "common/secrets": """
        from handlers.common.aws import client
        def get_secret(arn):
            return client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        def get_secret_json(arn):
            return get_secret(arn)
    """,
    "common/db": """
        from handlers.common.secrets import get_secret_json
        def connect():
            cfg = get_config()
            return get_secret_json(cfg.require("db_secret_arn"))
    """,
    "common/writer": """
        from handlers.common.aws import client
        class Writer:
            def __init__(self, table):
                self.table = table
            def flush(self):
                ddb = client("dynamodb")
                ddb.batch_write_item(RequestItems={self.table: []})
    """,
}


def test_calls_through_adapters_are_attributed_to_the_setting_the_handler_passes(tmp_path):
    handlers = _package(
        tmp_path,
        {
            **ADAPTERS,
            "__init__": "",
            "fn": """
        import urllib3
        from handlers.common import db
        from handlers.common.writer import Writer
        def handler(event, context):
            cfg, s3 = get_config(), client("s3")
            bucket = cfg.require("reports_bucket")
            s3.put_object(Bucket=bucket, Key="k", ObjectLockRetainUntilDate=1)
            Writer(get_config().driver_logs_table).flush()
            db.connect()
            http.request("POST", f"{get_config().require('pdf_api_url')}/v1/rod-pdf")
    """,
        },
    )
    calls = {(c.service, c.method, c.setting) for c in handlers.aws_calls("fn")}
    assert calls == {
        ("s3", "put_object", "reports_bucket"),
        ("dynamodb", "batch_write_item", "driver_logs_table"),
        ("secretsmanager", "get_secret_value", "db_secret_arn"),
    }
    assert [(h.method, h.setting, h.path) for h in handlers.http_calls("fn")] == [
        ("POST", "pdf_api_url", "/v1/rod-pdf")
    ]


def test_a_module_that_imports_no_adapter_makes_no_call(tmp_path):
    handlers = _package(
        tmp_path, {**ADAPTERS, "__init__": "", "pure": "def handler(event, context):\n    return event\n"}
    )
    assert handlers.aws_calls("pure") == [] and handlers.http_calls("pure") == []
