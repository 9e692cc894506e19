"""Build the Lambda artifacts: `python -m harness.build` -> build/lambda/{functions,deps-layer}.zip.

Both zips are byte-for-byte reproducible (sorted entries, fixed 1980-01-01 timestamps, fixed
permissions), so Terraform's `source_code_hash` only changes when the code or dependencies do.
The dependency layer is rebuilt only when requirements/lambda.txt (or the pip flags) change.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness.config import REPO_ROOT

OUTPUT_DIR = REPO_ROOT / "build" / "lambda"
HANDLERS_DIR = REPO_ROOT / "handlers"
LAMBDA_REQUIREMENTS = REPO_ROOT / "requirements" / "lambda.txt"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
EXCLUDED_DIRS = {"__pycache__", "tests", ".pytest_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 and 2_28 wheels fit.
PIP_TARGET_FLAGS = [
    "--platform",
    "manylinux2014_x86_64",
    "--platform",
    "manylinux_2_28_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
]


# Bump when the way the layer is assembled changes, so cached layers are rebuilt.
LAYER_FORMAT = "2"


class BuildError(RuntimeError):
    pass


def collect_files(root: Path, prefix: str) -> list[tuple[str, Path]]:
    entries = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part in EXCLUDED_DIRS for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in EXCLUDED_SUFFIXES:
            entries.append((f"{prefix}/{relative.as_posix()}", path))
    return sorted(entries)


def write_deterministic_zip(entries: list[tuple[str, Path]], destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for arcname, path in sorted(entries):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # unix, so the mode above is honoured on every build host
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    temporary.replace(destination)
    return destination


# The RDS certificate authorities (not in public trust stores): the handlers verify Aurora's server
# certificate against this bundle (DB_SSL_ROOT_CERT, sslmode=verify-full). `make rds-ca` downloads
# it from AWS's trust store; the functions zip carries it at RDS_CA_IN_PACKAGE when present, and
# `harness.terraform --target aws` refuses a package without it.
RDS_CA_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
RDS_CA_FILE = REPO_ROOT / "build" / "rds-ca" / "global-bundle.pem"
RDS_CA_IN_PACKAGE = "handlers/certs/rds-global-bundle.pem"


def build_functions(output_dir: Path = OUTPUT_DIR, rds_ca: Path = RDS_CA_FILE) -> Path:
    if not (HANDLERS_DIR / "__init__.py").exists():
        raise BuildError(f"{HANDLERS_DIR} is not a Python package yet: nothing to zip")
    entries = collect_files(HANDLERS_DIR, "handlers")
    if rds_ca.is_file():
        entries.append((RDS_CA_IN_PACKAGE, rds_ca))
    return write_deterministic_zip(entries, output_dir / "functions.zip")


def package_has_rds_ca(functions_zip: Path) -> bool:
    with zipfile.ZipFile(functions_zip) as archive:
        return RDS_CA_IN_PACKAGE in archive.namelist()


def layer_cache_key(requirements: Path) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(" ".join(PIP_TARGET_FLAGS).encode())
    digest.update(LAYER_FORMAT.encode())
    return digest.hexdigest()


def _drop_console_scripts(target: Path) -> None:
    """Console scripts carry the build host's interpreter path in their shebang: useless in a layer
    and different on every machine, as are the RECORD lines that hash them."""
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../../bin/")))


def build_layer(
    output_dir: Path = OUTPUT_DIR, requirements: Path = LAMBDA_REQUIREMENTS, force: bool = False
) -> tuple[Path, bool]:
    """Returns (zip path, whether it was rebuilt)."""
    destination = output_dir / "deps-layer.zip"
    key_file = output_dir / "deps-layer.key"
    key = layer_cache_key(requirements)
    if not force and destination.exists() and key_file.exists() and key_file.read_text() == key:
        return destination, False
    with tempfile.TemporaryDirectory(prefix="fleettap-layer-") as workdir:
        target = Path(workdir) / "python"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            *PIP_TARGET_FLAGS,
            "--target",
            str(target),
            "-r",
            str(requirements),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"pip could not assemble the Lambda layer:\n{result.stderr.strip()}")
        _drop_console_scripts(target)
        write_deterministic_zip(collect_files(target, "python"), destination)
    key_file.write_text(key)
    return destination, True


def describe(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return (
        f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}  "
        f"{path.stat().st_size / 1024:,.0f} KiB  sha256={digest}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.build", description=__doc__)
    parser.add_argument("--only", choices=("functions", "layer"))
    parser.add_argument("--force", action="store_true", help="rebuild the layer even if cached")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    try:
        if args.only in (None, "functions"):
            print(f"functions  {describe(build_functions(args.output_dir))}")
        if args.only in (None, "layer"):
            layer, rebuilt = build_layer(args.output_dir, force=args.force)
            print(f"deps-layer {describe(layer)}{'' if rebuilt else '  (cached)'}")
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
