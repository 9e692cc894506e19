"""The reviewed-plan gate: on AWS, staging and prod apply a saved plan that a person has read, never
`terraform apply -auto-approve` of whatever the code says at that moment (infra audit A5).

    make plan TARGET=aws ENV=prod     # plans into <state>/tf/aws-prod/reviewed.tfplan, prints the changes,
                                      # and runs the preflight over that very file
    make apply TARGET=aws ENV=prod    # applies that file and nothing else, then deletes it

Terraform itself keeps the gate honest: a saved plan applies without a prompt and without variables
(they are in the file), and it is refused as stale when the state changed after it was made (someone
else applied, or this plan was applied already). A missing plan is a usage error (exit 2) naming the
command to run. dev on AWS keeps the direct apply: it is the environment people iterate on.
The local target never needs the gate (the emulator's state is disposable).
"""

from __future__ import annotations

from pathlib import Path

REVIEWED_ENVS = ("staging", "prod")
PLAN_FILE = "reviewed.tfplan"


class ReviewedPlanMissing(RuntimeError):
    """An AWS apply of a reviewed environment found no saved plan to apply."""


def required(env: str, target: str) -> bool:
    """Whether an apply of `env` on `target` must go through a saved, reviewed plan."""
    return target == "aws" and env in REVIEWED_ENVS


def aws_env_dir(state_dir: Path, env: str) -> Path:
    """The directory of one environment's AWS work: its .terraform, its copy of the zips, its saved plan."""
    return state_dir / "tf" / f"aws-{env}"


def plan_path(state_dir: Path, env: str) -> Path:
    """Where `make plan TARGET=aws ENV=<env>` saves the plan (beside that environment's .terraform)."""
    return aws_env_dir(state_dir, env) / PLAN_FILE


def plan_to_apply(state_dir: Path, env: str) -> Path:
    """The saved plan an apply of `env` on AWS must use; ReviewedPlanMissing when there is none."""
    path = plan_path(state_dir, env)
    if not path.is_file():
        then = f", then `make apply TARGET=aws ENV={env}` applies exactly that plan" if env in REVIEWED_ENVS else ""
        raise ReviewedPlanMissing(
            f"no reviewed plan for {env} ({path}): run `make plan TARGET=aws ENV={env}` and read the changes "
            f"it prints{then}"
        )
    return path


def apply_args(plan_file: Path, parallelism: int) -> list[str]:
    """`terraform apply` of a saved plan: no -auto-approve (a saved plan needs no approval) and no
    -var (Terraform refuses variables with a saved plan; its values are in the file)."""
    return ["apply", "-input=false", "-no-color", "-lock-timeout=60s", f"-parallelism={parallelism}", str(plan_file)]
