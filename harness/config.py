"""Where the local stack lives and how clients find it.

Everything that talks to the stack reads `stack.json` in the state directory (written by `up`);
nothing hard-codes an endpoint. See docs/contracts.md, "Local stack state".
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STACK_FILE = "stack.json"
DEFAULT_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"

DEFAULT_PORTS = {"aws": 4566, "redis": 6389, "postgres": 5439, "mock_api": 4580}
PORT_ENV_VARS = {
    "aws": "FLEETTAP_AWS_PORT",
    "redis": "FLEETTAP_REDIS_PORT",
    "postgres": "FLEETTAP_PG_PORT",
    "mock_api": "FLEETTAP_MOCK_API_PORT",
}
POSTGRES_USER = "fleettap"
POSTGRES_DB = "fleettap"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class StackNotRunning(RuntimeError):
    """There is no stack.json: nothing has been brought up in this state directory."""


def state_dir(explicit: str | Path | None = None) -> Path:
    """The state directory: `explicit` (a tool's --state-dir), else $FLEETTAP_STATE_DIR, else
    `<repo>/.local`; always absolute, with `~` expanded. The one stack locator: every part of the
    tree that looks for the local stack asks here."""
    configured = explicit or os.environ.get("FLEETTAP_STATE_DIR")
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".local"


def configured_ports() -> dict[str, int]:
    """Default ports of contracts.md, each overridable by its FLEETTAP_*_PORT variable."""
    ports = {}
    for service, default in DEFAULT_PORTS.items():
        variable = PORT_ENV_VARS[service]
        raw = os.environ.get(variable)
        ports[service] = default if raw in (None, "") else parse_port(raw, variable)
    return ports


def parse_port(raw: str, source: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{source}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{source}={port} is outside 1..65535")
    return port


@dataclass
class StackInfo:
    aws_endpoint: str
    region: str
    redis_host: str
    redis_port: int
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: str
    postgres_dbname: str
    mock_api_url: str
    state_dir: str
    stack: str = "embedded"
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def postgres_dsn(self) -> str:
        return (
            f"host={self.postgres_host} port={self.postgres_port} user={self.postgres_user} "
            f"password={self.postgres_password} dbname={self.postgres_dbname}"
        )

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    def admin_client(self, service: str, **kwargs):
        """A boto3 client for this stack with the admin `test` credentials the tools and Terraform
        use (not a function's role: those calls are authorized, harness/emulator/authorization.py)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            **kwargs,
        )

    def env(self) -> dict[str, str]:
        """Variables a client process (boto3, scripts, Terraform) needs to reach this stack.

        The fixed `test` credentials are what moto and LocalStack accept; they are not secrets.
        """
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "FLEETTAP_STATE_DIR": self.state_dir,
            "FLEETTAP_AWS_PORT": str(_port_of(self.aws_endpoint)),
            "FLEETTAP_REDIS_PORT": str(self.redis_port),
            "FLEETTAP_PG_PORT": str(self.postgres_port),
            "FLEETTAP_MOCK_API_PORT": str(_port_of(self.mock_api_url)),
        }

    def to_json(self) -> dict:
        return {
            "stack": self.stack,
            "state_dir": self.state_dir,
            "aws": {"endpoint": self.aws_endpoint, "region": self.region},
            "redis": {"host": self.redis_host, "port": self.redis_port},
            "postgres": {
                "host": self.postgres_host,
                "port": self.postgres_port,
                "user": self.postgres_user,
                "password": self.postgres_password,
                "dbname": self.postgres_dbname,
            },
            "mock_api": {"url": self.mock_api_url},
            "pids": dict(self.pids),
        }

    @classmethod
    def from_json(cls, data: dict) -> StackInfo:
        try:
            return cls(
                aws_endpoint=data["aws"]["endpoint"],
                region=data["aws"]["region"],
                redis_host=data["redis"]["host"],
                redis_port=int(data["redis"]["port"]),
                postgres_host=data["postgres"]["host"],
                postgres_port=int(data["postgres"]["port"]),
                postgres_user=data["postgres"]["user"],
                postgres_password=data["postgres"]["password"],
                postgres_dbname=data["postgres"]["dbname"],
                mock_api_url=data["mock_api"]["url"],
                state_dir=data.get("state_dir", ""),
                stack=data.get("stack", "embedded"),
                pids={name: int(pid) for name, pid in data.get("pids", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"stack.json is malformed ({error!r}); run `make down && make up`") from None

    def replace(self, **changes) -> StackInfo:
        values = asdict(self)
        values.update(changes)
        return StackInfo(**values)


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def embedded_stack_info(directory: Path, ports: dict[str, int], postgres_password: str) -> StackInfo:
    return StackInfo(
        aws_endpoint=f"http://{LOOPBACK}:{ports['aws']}",
        region=os.environ.get("FLEETTAP_REGION", DEFAULT_REGION),
        redis_host=LOOPBACK,
        redis_port=ports["redis"],
        postgres_host=LOOPBACK,
        postgres_port=ports["postgres"],
        postgres_user=POSTGRES_USER,
        postgres_password=postgres_password,
        postgres_dbname=POSTGRES_DB,
        mock_api_url=f"http://{LOOPBACK}:{ports['mock_api']}",
        state_dir=str(directory),
    )


def stack_file(directory: str | Path | None = None) -> Path:
    return (Path(directory) if directory else state_dir()) / STACK_FILE


def write_stack(info: StackInfo, directory: Path | None = None) -> Path:
    return write_stack_data(info.to_json(), directory)


def write_stack_data(data: dict, directory: Path | None = None) -> Path:
    """Write stack.json atomically with mode 0600: it holds the Postgres password, and the local
    runtime reads it on every invoke, so it is never seen half-written."""
    path = stack_file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path


def read_stack_data(directory: str | Path | None = None) -> dict:
    """stack.json as written (including keys StackInfo does not model, such as `generation`), or {}
    when nothing has been brought up in `directory` (default: state_dir())."""
    path = stack_file(directory)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON ({error}); run `make down && make up`") from None


def read_stack(directory: Path | None = None) -> StackInfo:
    """The running stack; raises StackNotRunning when there is no stack.json."""
    path = stack_file(directory)
    if not path.exists():
        raise StackNotRunning(f"{path} does not exist: start the stack with `make up`")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON ({error}); run `make down && make up`") from None
    return StackInfo.from_json(data)


def remove_stack(directory: Path | None = None) -> None:
    stack_file(directory).unlink(missing_ok=True)
