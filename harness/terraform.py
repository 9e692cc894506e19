"""Terraform plumbing: one entry point for init/plan/apply/destroy against the emulator or AWS.

    python -m harness.terraform init|plan|apply|destroy|output --env dev|staging|prod \
        --target local|aws [--state-dir DIR]

TARGET=local copies infra/*.tf into `<state>/tf/<env>/` and adds `emulator_override.tf`, a provider
override that points every service at the emulator from `stack.json` (so tap_stack.tf knows nothing
of emulators; the override also sets a local backend). TARGET=aws runs in infra/ itself with the
caller's AWS credentials and the S3 backend of infra/backend/<env>.hcl (one state key per environment,
a .terraform per environment under the state dir).

A CLI config file (`TF_CLI_CONFIG_FILE`) is written under the state dir: a `filesystem_mirror`
for hashicorp/aws when a local provider mirror exists (this machine: /opt/tf-plugins), plain
`direct` installation otherwise, so a user with internet gets the registry.

Nothing is built here: the Lambda zips come from `make build` (build/lambda/).

Python API (tests, the e2e fixture): `init`, `plan`, `apply`, `destroy`, `outputs`, `show_plan`,
each taking `env` and optionally a `StackInfo` (local target) or `target="aws"`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import deploy_fingerprint
from harness.tf import reviewed_plan
from harness.tf.progress import ApplyProgress

REPO_ROOT = Path(__file__).resolve().parents[1]
INFRA_DIR = REPO_ROOT / "infra"
DEFAULT_ARTIFACTS = REPO_ROOT / "build" / "lambda"
ARTIFACTS = ("functions.zip", "deps-layer.zip")
ENVS = ("dev", "staging", "prod")
TARGETS = ("local", "aws")
OVERRIDE_FILE = "emulator_override.tf"
PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"

# Provider endpoint keys for every service tap_stack.tf uses (plus sts: the provider asks it for
# the account id, which ARNs need; skip_requesting_account_id is deliberately not set).
EMULATED_SERVICES = (
    "apigateway",
    "applicationautoscaling",
    "athena",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "elasticache",
    "events",
    "firehose",
    "glue",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "sagemaker",
    "secretsmanager",
    "sfn",
    "sns",
    "sqs",
    "sts",
)

# Where a filesystem mirror of hashicorp/aws may live. Its location differs between machines (and where
# the public registry is unreachable `terraform init` needs one), so each is probed, none assumed.
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)

TIMEOUTS = {"init": 300, "plan": 900, "apply": 2400, "destroy": 2400, "output": 120, "show": 300, "validate": 120}


class TerraformError(RuntimeError):
    """terraform exited non-zero; the message holds the command and the tail of its output."""


class TerraformNotFound(TerraformError):
    """No `terraform` executable on PATH: the one prerequisite `make install` cannot install."""


def required_version() -> str:
    """The `required_version` constraint of infra/tap_stack.tf (">= 1.11")."""
    match = re.search(r'required_version\s*=\s*"([^"]+)"', (INFRA_DIR / "tap_stack.tf").read_text())
    return match.group(1) if match else "any"


def terraform_missing_message() -> str:
    return (
        f"terraform is not on PATH: install Terraform {required_version()} "
        "(https://developer.hashicorp.com/terraform/install), the one prerequisite make cannot install"
    )


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- setup helpers


def find_mirror() -> Path | None:
    """A filesystem mirror holding hashicorp/aws, from $FLEETTAP_TF_MIRROR or the usual places."""
    candidates = [os.environ.get("FLEETTAP_TF_MIRROR", "")] + list(MIRROR_CANDIDATES)
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate).expanduser()
        if (path / PROVIDER_SOURCE).is_dir():
            return path
    return None


def cli_config_text(mirror: Path | None, plugin_cache: Path | None = None) -> str:
    lines = []
    if plugin_cache is not None:
        lines.append(f'plugin_cache_dir = "{plugin_cache}"')
    lines.append("provider_installation {")
    if mirror is not None:
        lines += [
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f'    include = ["{PROVIDER_SOURCE}"]',
            "  }",
            "  direct {",
            f'    exclude = ["{PROVIDER_SOURCE}"]',
            "  }",
        ]
    else:
        lines += ["  direct {}"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_cli_config(state_dir: Path) -> Path:
    directory = state_dir / "tf"
    directory.mkdir(parents=True, exist_ok=True)
    cache = directory / "plugin-cache"
    cache.mkdir(exist_ok=True)
    path = directory / "terraform.rc"
    text = cli_config_text(find_mirror(), cache)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def override_text(endpoint: str, region: str) -> str:
    """Provider override for the emulator: endpoints, test credentials, no AWS-only checks."""
    width = max(len(s) for s in EMULATED_SERVICES)
    endpoints = "\n".join(f'    {s.ljust(width)} = "{endpoint}"' for s in EMULATED_SERVICES)
    return f"""# Generated by harness/terraform.py for TARGET=local: every service points at the emulator.
# The credentials are the fixed `test` pair moto/LocalStack accept; they are not secrets.
# The state stays in this work dir (tap_stack.tf's S3 backend is for TARGET=aws).
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  region                      = "{region}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  max_retries                 = 2

  endpoints {{
{endpoints}
  }}
}}
"""


def artifacts_dir() -> Path:
    configured = os.environ.get("FLEETTAP_LAMBDA_ARTIFACTS")
    return Path(configured).resolve() if configured else DEFAULT_ARTIFACTS


def check_artifacts(directory: Path, sources: Path | None = None) -> None:
    """The zips exist and, in the repository's own build directory, are not older than the handler
    code they were built from: applying a stale functions.zip deploys yesterday's handlers while
    every test of today's code passes (`make apply` and `make test` build first; a direct
    `python -m harness.terraform apply` does not)."""
    missing = [name for name in ARTIFACTS if not (directory / name).is_file()]
    if missing:
        raise TerraformError(f"{', '.join(missing)} missing in {directory}: run make build")
    if sources is None and directory.resolve() != DEFAULT_ARTIFACTS.resolve():
        return  # prebuilt zips from elsewhere (FLEETTAP_LAMBDA_ARTIFACTS): not ours to date
    sources = sources or REPO_ROOT / "handlers"
    built = (directory / "functions.zip").stat().st_mtime
    newer = sorted(
        str(path.relative_to(sources.parent)) for path in sources.rglob("*.py") if path.stat().st_mtime > built
    )
    if newer:
        shown = ", ".join(newer[:3]) + (f" and {len(newer) - 3} more" if len(newer) > 3 else "")
        raise TerraformError(f"{directory / 'functions.zip'} is older than {shown}: run make build")


def _state_dir(state_dir: str | Path | None, stack_info=None) -> Path:
    if state_dir is not None:
        return Path(state_dir).resolve()
    if stack_info is not None and getattr(stack_info, "state_dir", ""):
        return Path(stack_info.state_dir).resolve()
    from harness.config import state_dir as configured

    return configured()


def _stack_info(stack_info, state_dir: Path):
    if stack_info is not None:
        return stack_info
    from harness.config import read_stack

    return read_stack(state_dir)


def workdir_for(env: str, target: str, state_dir: Path) -> Path:
    return INFRA_DIR if target == "aws" else state_dir / "tf" / env


def prepare_workdir(env: str, target: str, state_dir: Path, stack_info=None) -> Path:
    """Return the directory terraform runs in; for local, (re)sync infra/*.tf and the override."""
    directory = workdir_for(env, target, state_dir)
    if target == "aws":
        return directory
    info = _stack_info(stack_info, state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in INFRA_DIR.glob("*.tf")} | {OVERRIDE_FILE}
    for stale in directory.glob("*.tf"):
        if stale.name not in wanted:
            stale.unlink()
    for source in INFRA_DIR.glob("*.tf"):
        target_file = directory / source.name
        if not target_file.exists() or target_file.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target_file)
    override = override_text(info.aws_endpoint.rstrip("/"), info.region)
    override_path = directory / OVERRIDE_FILE
    if not override_path.exists() or override_path.read_text() != override:
        override_path.write_text(override)
    return directory


def terraform_env(state_dir: Path, target: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(state_dir))
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env.setdefault("CHECKPOINT_DISABLE", "1")
    if target == "local":
        # Never let a developer's real profile or endpoint leak into an emulator run.
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            env.pop(name, None)
        env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
    return env


def snapshot_artifacts(destination: Path) -> Path:
    """Copy the Lambda zips into `destination` so a concurrent `make build` cannot change them
    between plan and apply (Terraform fails with "inconsistent final plan" when the hash moves)."""
    source = artifacts_dir()
    check_artifacts(source)
    destination.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        temporary = destination / f".{name}.tmp"
        shutil.copyfile(source / name, temporary)
        os.replace(temporary, destination / name)
    return destination


# staging and prod take the ops webhook at deploy time (TF_VAR_alert_https_endpoint); against the
# emulator nothing is delivered, so a local run gets this placeholder (make preflight flags it).
LOCAL_ALERT_ENDPOINT = "https://hooks.example.com/fleettap/sns"


def backend_config(env: str) -> Path:
    """The S3 backend settings of `env` (one state key per environment), used for TARGET=aws."""
    return INFRA_DIR / "backend" / f"{env}.hcl"


def var_args(env: str, artifacts: Path, extra_vars: dict | None = None, target: str = "local") -> list[str]:
    args = [f"-var-file={INFRA_DIR / f'{env}.tfvars'}", f"-var=lambda_artifacts_dir={artifacts}"]
    tfvars = (INFRA_DIR / f"{env}.tfvars").read_text()
    if (
        target == "local"
        and "alert_https_endpoint" not in (extra_vars or {})
        and not os.environ.get("TF_VAR_alert_https_endpoint")
        and not re.search(r"^alert_https_endpoint\s*=", tfvars, re.M)
    ):
        args.append(f"-var=alert_https_endpoint={LOCAL_ALERT_ENDPOINT}")
    if target == "local":  # the emulator delivers to no webhook; its runtime serves the external APIs itself
        args.append("-var=allow_placeholder_endpoints=true")
    for key, value in (extra_vars or {}).items():
        rendered = value if isinstance(value, str) else json.dumps(value)
        args.append(f"-var={key}={rendered}")
    return args


# --------------------------------------------------------------------------- running terraform

EMULATOR_LOG = "logs/aws.log"


def emulator_complaints(state_dir: Path, lines: int = 40) -> str:
    """The last warnings, errors and tracebacks of the local emulator: a failed apply against it is
    often explained there (a 500 from a moto gap, a replayed retry), not in Terraform's message."""
    try:
        text = (Path(state_dir) / EMULATOR_LOG).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    kept = [
        line for line in text if any(word in line for word in (" WARNING ", " ERROR ", "Traceback", "Error", "  File "))
    ]
    return "\n".join(kept[-lines:])


def _run(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    *,
    stream: bool,
    timeout: int,
    ok_codes: tuple[int, ...] = (0,),
    on_event=None,
) -> Result:
    command = ["terraform", *args]
    started = time.monotonic()
    if shutil.which("terraform", path=env.get("PATH")) is None:
        raise TerraformNotFound(terraform_missing_message())
    if on_event is not None:
        return _run_json(command, cwd, env, timeout, ok_codes, on_event)
    if stream:
        process = subprocess.run(command, cwd=cwd, env=env, timeout=timeout, text=True)
        stdout = stderr = ""
    else:
        process = subprocess.run(command, cwd=cwd, env=env, timeout=timeout, text=True, capture_output=True)
        stdout, stderr = process.stdout, process.stderr
    result = Result(command, process.returncode, stdout, stderr, time.monotonic() - started)
    if process.returncode not in ok_codes:
        tail = "\n".join((stdout + "\n" + stderr).strip().splitlines()[-60:])
        raise TerraformError(f"{' '.join(command)} failed in {cwd} (exit {process.returncode})\n{tail}")
    return result


def _run_json(command: list[str], cwd: Path, env: dict[str, str], timeout: int, ok_codes, on_event) -> Result:
    """Run a `-json` command, handing each event to `on_event` as it arrives; on failure the
    message holds Terraform's error diagnostics (what the text UI would have printed)."""
    started = time.monotonic()
    errors: list[str] = []
    other: list[str] = []
    # stderr joins stdout (one pipe read to the end: a full second pipe cannot block Terraform);
    # its lines are the ones that are not JSON.
    process = subprocess.Popen(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for line in process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                other.append(line.rstrip())
                continue
            diagnostic = event.get("diagnostic") or {}
            if event.get("type") == "diagnostic" and diagnostic.get("severity") == "error":
                errors.append(f"Error: {diagnostic.get('summary', '')}\n{diagnostic.get('detail', '')}".strip())
            on_event(event)
            if time.monotonic() - started > timeout:
                process.kill()
                raise subprocess.TimeoutExpired(command, timeout)
        process.wait(timeout=max(1, timeout - (time.monotonic() - started)))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    result = Result(command, process.returncode, "", "\n".join(other), time.monotonic() - started)
    if process.returncode not in ok_codes:
        said = "\n".join(errors[-10:] + other[-40:])
        raise TerraformError(f"{' '.join(command)} failed in {cwd} (exit {process.returncode})\n{said}")
    return result


class Runner:
    """terraform for one environment and target, in its work dir, with the right CLI config."""

    def __init__(self, env: str, target: str = "local", stack_info=None, state_dir=None, stream: bool = False):
        if env not in ENVS:
            raise ValueError(f"env must be one of {ENVS}, not {env!r}")
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
        self.env, self.target, self.stream = env, target, stream
        self.state_dir = _state_dir(state_dir, stack_info)
        self.stack_info = stack_info
        self.workdir = prepare_workdir(env, target, self.state_dir, stack_info)
        self.process_env = terraform_env(self.state_dir, target)
        self.artifacts = self.state_dir / "tf" / f"lambda-artifacts-{env}"
        if target == "aws":
            aws_dir = reviewed_plan.aws_env_dir(self.state_dir, env)
            # infra/ is shared by the environments: each keeps its own .terraform (backend key) here.
            self.process_env["TF_DATA_DIR"] = str(aws_dir / ".terraform")
            # The zips a plan names: an AWS plan saved for review keeps its own copy, which a local apply of
            # the same environment name cannot replace between that plan and its apply.
            self.artifacts = aws_dir / "lambda-artifacts"

    def _vars(self, extra_vars) -> list[str]:
        artifacts = snapshot_artifacts(self.artifacts)
        if self.target == "aws":
            from harness.build import RDS_CA_IN_PACKAGE, package_has_rds_ca

            if not package_has_rds_ca(artifacts / "functions.zip"):
                raise TerraformError(
                    f"functions.zip lacks {RDS_CA_IN_PACKAGE}: the handlers verify Aurora's certificate "
                    "(sslmode=verify-full) against it. Run make rds-ca, then make build"
                )
        return var_args(self.env, artifacts, extra_vars, self.target)

    def run(
        self,
        args: list[str],
        *,
        timeout_key: str,
        ok_codes: tuple[int, ...] = (0,),
        stream: bool | None = None,
        on_event=None,
    ) -> Result:
        try:
            return _run(
                args,
                self.workdir,
                self.process_env,
                stream=self.stream if stream is None else stream,
                timeout=TIMEOUTS[timeout_key],
                ok_codes=ok_codes,
                on_event=on_event,
            )
        except TerraformError as error:
            if self.target != "local" or isinstance(error, TerraformNotFound):
                raise
            said = emulator_complaints(self.state_dir)
            raise TerraformError(
                f"{error}\n-- the emulator's log ({EMULATOR_LOG}) said:\n{said}" if said else str(error)
            ) from None

    def init(self) -> Result:
        lock = self.workdir / ".terraform.lock.hcl"
        # .terraform/terraform.tfstate records the backend: a work dir initialised before the stack
        # declared one must be initialised again.
        markers = (self.workdir / ".terraform" / "providers", self.workdir / ".terraform" / "terraform.tfstate")
        if self.target == "local" and lock.exists() and all(m.exists() for m in markers):
            return Result(["terraform", "init"], 0, "already initialised", "", 0.0)
        args = ["init", "-input=false", "-no-color"]
        if self.target == "aws":
            args += [f"-backend-config={backend_config(self.env)}", "-reconfigure"]
        return self.run(args, timeout_key="init")

    def plan(
        self, *, out: str | None = None, detailed_exitcode: bool = False, extra_vars=None, destroy: bool = False
    ) -> Result:
        self.init()
        args = ["plan", "-input=false", "-no-color", "-lock-timeout=60s", *self._vars(extra_vars)]
        if out:
            args.append(f"-out={out}")
        if detailed_exitcode:
            args.append("-detailed-exitcode")
        if destroy:
            args.append("-destroy")
        result = self.run(args, timeout_key="plan", ok_codes=(0, 2) if detailed_exitcode else (0,))
        result.extra["changes"] = result.returncode == 2
        return result

    def apply(self, *, extra_vars=None, parallelism: int = 20, on_progress=None) -> Result:
        """Apply; `on_progress(line)` gets "N of M resources: <address> created" lines (and the
        errors) as Terraform reports them (`terraform apply -json`). A local apply records its
        inputs (harness.deploy_fingerprint) so an unchanged next run can skip it."""
        if reviewed_plan.required(self.env, self.target):
            # AWS staging/prod: only the plan `make plan` saved and a person read (reviewed_plan); used once.
            # Checked before init, so a missing plan is refused before anything reaches AWS.
            plan_file = reviewed_plan.plan_to_apply(self.state_dir, self.env)
            self.init()
            args, variables = reviewed_plan.apply_args(plan_file, parallelism), []
        else:
            self.init()
            plan_file, variables = None, self._vars(extra_vars)
            args = [
                "apply",
                "-input=false",
                "-no-color",
                "-auto-approve",
                "-lock-timeout=60s",
                f"-parallelism={parallelism}",
            ]
        if self.target == "local":
            deploy_fingerprint.forget(self.workdir)  # until this apply has succeeded
        try:
            if on_progress is not None:
                progress = ApplyProgress()

                def on_event(event: dict) -> None:
                    line = progress.feed(event)
                    if line:
                        on_progress(line)

                result = self.run([args[0], "-json", *args[1:], *variables], timeout_key="apply", on_event=on_event)
                result.extra["progress"] = progress.summary()
            else:
                result = self.run([*args, *variables], timeout_key="apply")
        finally:
            if plan_file is not None:
                plan_file.unlink(missing_ok=True)  # applied or refused, a saved plan is spent: plan again
        if self.target == "local":
            deploy_fingerprint.record(self.workdir, self.state_dir, self.inputs(variables))
        return result

    def plan_for_review(self, *, extra_vars=None) -> Result:
        """AWS: plan into the file `apply` of a reviewed environment takes (reviewed_plan.plan_path)."""
        path = reviewed_plan.plan_path(self.state_dir, self.env)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a failed plan must not leave the previous one to be applied
        result = self.plan(out=str(path), extra_vars=extra_vars)
        result.extra["plan_file"] = path
        return result

    def clients(self, service: str):
        """A boto3 client for the local emulator, with the admin `test` credentials Terraform uses."""
        return _stack_info(self.stack_info, self.state_dir).admin_client(service)

    def inputs(self, variables: list[str]) -> dict[str, str]:
        """The hashes of what a local apply with these variables takes in (harness.deploy_fingerprint)."""
        return deploy_fingerprint.inputs(self.workdir, variables, self.artifacts, ARTIFACTS)

    def destroy(self, *, extra_vars=None, parallelism: int = 20) -> Result:
        if self.target == "local" and not (self.workdir / "terraform.tfstate").exists():
            return Result(["terraform", "destroy"], 0, "no state: nothing to destroy", "", 0.0)
        deploy_fingerprint.forget(self.workdir)
        self.init()
        args = [
            "destroy",
            "-input=false",
            "-no-color",
            "-auto-approve",
            "-lock-timeout=60s",
            f"-parallelism={parallelism}",
            *self._vars(extra_vars),
        ]
        return self.run(args, timeout_key="destroy")

    def outputs(self) -> dict:
        result = self.run(["output", "-json", "-no-color"], timeout_key="output", stream=False)
        return {name: value["value"] for name, value in json.loads(result.stdout or "{}").items()}

    def show_json(self, plan_file: str | None = None) -> dict:
        args = ["show", "-json", "-no-color"] + ([plan_file] if plan_file else [])
        return json.loads(self.run(args, timeout_key="show", stream=False).stdout)

    def state_addresses(self) -> list[str]:
        result = self.run(["state", "list"], timeout_key="output", stream=False, ok_codes=(0, 1))
        return [line for line in result.stdout.splitlines() if line.strip()]


# --------------------------------------------------------------------------- Python API


def init(env: str, stack_info=None, *, target: str = "local", state_dir=None) -> Result:
    return Runner(env, target, stack_info, state_dir).init()


def plan(
    env: str,
    stack_info=None,
    *,
    target: str = "local",
    state_dir=None,
    detailed_exitcode: bool = False,
    extra_vars=None,
) -> Result:
    return Runner(env, target, stack_info, state_dir).plan(detailed_exitcode=detailed_exitcode, extra_vars=extra_vars)


def show_plan(env: str, stack_info=None, *, target: str = "local", state_dir=None, extra_vars=None) -> dict:
    """Plan into a file and return `terraform show -json` of it (resource_changes, configuration...)."""
    runner = Runner(env, target, stack_info, state_dir)
    plan_file = f"plan-{env}.tfplan"
    runner.plan(out=plan_file, extra_vars=extra_vars)
    try:
        return runner.show_json(plan_file)
    finally:
        (runner.workdir / plan_file).unlink(missing_ok=True)


def show_reviewed_plan(env: str, *, state_dir=None) -> dict:
    """`terraform show -json` of the plan `plan --target aws` saved for `env` (the one its apply takes)."""
    runner = Runner(env, "aws", state_dir=state_dir)
    # No init: the plan was made in this environment's data dir, which holds its providers already.
    return runner.show_json(str(reviewed_plan.plan_to_apply(runner.state_dir, env)))


def apply(env: str, stack_info=None, *, target: str = "local", state_dir=None, extra_vars=None) -> dict:
    """Apply and return the outputs ({name: value})."""
    runner = Runner(env, target, stack_info, state_dir)
    runner.apply(extra_vars=extra_vars)
    return runner.outputs()


def ensure_applied(
    env: str,
    stack_info=None,
    *,
    state_dir=None,
    extra_vars=None,
    on_progress=None,
    apply_if_needed: bool = True,
) -> deploy_fingerprint.Decision:
    """Local target: make the emulator hold what infra/ and build/lambda describe, doing as little
    as it can (harness.deploy_fingerprint): nothing when nothing changed, UpdateFunctionCode when only
    functions.zip did (harness.hot_reload), else a full apply with progress (`apply_if_needed=False`:
    report that one is needed instead). Returns the decision taken."""
    from harness import hot_reload

    runner = Runner(env, "local", stack_info, state_dir)
    runner.init()
    variables = runner._vars(extra_vars)
    current = runner.inputs(variables)
    decision = deploy_fingerprint.decide(
        runner.workdir, runner.state_dir, current, runner.clients, reloadable=(hot_reload.FUNCTIONS_ZIP,)
    )
    if decision.action == "hot-reload":
        tfstate = deploy_fingerprint.terraform_state(runner.workdir)
        updated = hot_reload.update_functions(tfstate, runner.artifacts / hot_reload.FUNCTIONS_ZIP, runner.clients)
        deploy_fingerprint.record(runner.workdir, runner.state_dir, current)
        decision.reason += f": new code for {len(updated)} functions (UpdateFunctionCode)"
    elif decision.action == "apply" and apply_if_needed:
        runner.apply(extra_vars=extra_vars, on_progress=on_progress)
    return decision


def destroy(env: str, stack_info=None, *, target: str = "local", state_dir=None, extra_vars=None) -> Result:
    return Runner(env, target, stack_info, state_dir).destroy(extra_vars=extra_vars)


def outputs(env: str, stack_info=None, *, target: str = "local", state_dir=None) -> dict:
    return Runner(env, target, stack_info, state_dir).outputs()


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.terraform", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("init", "plan", "apply", "destroy", "output"))
    parser.add_argument("--env", choices=ENVS, default=os.environ.get("ENV", "dev"))
    parser.add_argument("--target", choices=TARGETS, default="local")
    parser.add_argument(
        "--state-dir", default=None, help="local stack state dir (default $FLEETTAP_STATE_DIR or .local)"
    )
    args = parser.parse_args(argv)
    try:
        runner = Runner(args.env, args.target, state_dir=args.state_dir, stream=True)
        if args.command == "output":
            print(json.dumps(runner.outputs(), indent=2, sort_keys=True))
            return 0
        if args.command == "apply":
            result = runner.apply(on_progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
        elif args.command == "plan" and args.target == "aws":
            result = runner.plan_for_review()
            print(
                f"harness.terraform: plan saved to {result.extra['plan_file']}"
                + (
                    f"; `make apply TARGET=aws ENV={args.env}` applies exactly this plan"
                    if reviewed_plan.required(args.env, args.target)
                    else f" for the preflight (ENV={args.env} on AWS applies without a saved plan)"
                ),
                file=sys.stderr,
            )
        else:
            result = getattr(runner, args.command)()
    except reviewed_plan.ReviewedPlanMissing as error:
        print(f"harness.terraform: {error}", file=sys.stderr)
        return 2
    except TerraformError as error:  # exit codes: docs/contracts.md, "Exit codes"
        print(f"harness.terraform: {error}", file=sys.stderr)
        return 3
    except Exception as error:  # StackNotRunning, ConfigError: one clear line, no traceback
        if type(error).__name__ in ("StackNotRunning", "ConfigError"):
            print(f"harness.terraform: {error}", file=sys.stderr)
            return 2 if type(error).__name__ == "ConfigError" else 3
        raise
    print(
        f"harness.terraform: {args.command} --env {args.env} --target {args.target} took {result.seconds:.1f}s "
        f"(work dir {runner.workdir})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
