"""TLS for the local PostgreSQL, so the handlers' sslmode=verify-full path runs locally as on Aurora.

Aurora enforces TLS (rds.force_ssl) and the handlers verify its certificate against the RDS CA bundle
(DB_SSL_ROOT_CERT). Locally `make up` gives the Postgres a certificate for 127.0.0.1/localhost,
signed by a CA made for this state dir (openssl, once; kept under <state>/postgres/tls), starts it
with ssl=on, and the runtime points DB_SSL_ROOT_CERT at that CA (harness.runtime.local_endpoints):
a handler that would not verify Aurora's certificate does not verify the local one either.
The keys never leave the state dir; they protect nothing but this throwaway cluster.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = 825  # within what TLS clients accept for a server certificate


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def tls_dir(state: Path) -> Path:
    return Path(state) / "postgres" / "tls"


def ca_file(state: Path | str) -> Path:
    """The CA the local Postgres's certificate is signed by (may not exist: no openssl, compose)."""
    return tls_dir(Path(state)) / "ca.crt"


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def ensure_certificates(state: Path, account: pwd.struct_passwd | None = None) -> TlsFiles | None:
    """The CA and the server certificate/key, made once per state dir; None without openssl."""
    directory = tls_dir(state)
    files = TlsFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    if not all(path.is_file() for path in (files.ca, files.cert, files.key)):
        if shutil.which("openssl") is None:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        _openssl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "ca.key", "-out", "ca.crt",
                 "-days", str(DAYS), "-subj", "/CN=fleettap local Postgres CA", cwd=directory)  # fmt: skip
        (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "server.key", "-out", "server.csr",
                 "-subj", "/CN=127.0.0.1", cwd=directory)  # fmt: skip
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.crt", "-days", str(DAYS), "-extfile", "san.cnf", cwd=directory)  # fmt: skip
    os.chmod(files.key, 0o600)  # postgres refuses a key readable by others
    for path in (files.ca, files.cert):
        os.chmod(path, 0o644)
    os.chmod(directory, 0o755)
    if account is not None:
        os.chown(files.key, account.pw_uid, account.pw_gid)
    return files


def copy_server_files(files: TlsFiles, directory: Path, account: pwd.struct_passwd) -> TlsFiles:
    """The server certificate and key copied into `directory` (the cluster's own root, private to
    `account`), for a cluster living outside a state dir its account cannot enter
    (harness.postgres.cluster_root): postgres must read both, and could not reach the originals."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(directory, account.pw_uid, account.pw_gid)
    copied = TlsFiles(files.ca, directory / "server.crt", directory / "server.key")
    for source, target, mode in ((files.cert, copied.cert, 0o644), (files.key, copied.key, 0o600)):
        shutil.copyfile(source, target)
        os.chmod(target, mode)
        os.chown(target, account.pw_uid, account.pw_gid)
    return copied


def server_options(files: TlsFiles | None) -> list[str]:
    """postgres -c options turning TLS on with `files` (none without them)."""
    if files is None:
        return []
    return ["-c", "ssl=on", "-c", f"ssl_cert_file={files.cert}", "-c", f"ssl_key_file={files.key}"]
