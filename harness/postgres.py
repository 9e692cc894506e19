"""A throwaway PostgreSQL cluster under <state>/postgres, reachable on loopback TCP only."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path

from harness import postgres_tls
from harness.config import LOOPBACK, POSTGRES_DB, POSTGRES_USER, StackInfo
from harness.launch import ServiceError, find_binary, launch, run_checked


def healthy(info: StackInfo, timeout_s: float = 2.0, dbname: str | None = None) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=info.postgres_host,
            port=info.postgres_port,
            user=info.postgres_user,
            password=info.postgres_password,
            dbname=dbname or info.postgres_dbname,
            connect_timeout=max(1, int(timeout_s)),
        ) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def password(state: Path) -> str:
    """The cluster's superuser password, generated once per state directory and kept 0600 (it
    must survive `down`, because the cluster it was set on does)."""
    path = state / "postgres.password"
    if path.exists():
        return path.read_text().strip()
    state.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(generated)
    return generated


def os_account() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root; as root, the cluster runs as an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for candidate in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(candidate)
        except KeyError:
            continue
    raise ServiceError("running as root and neither a 'postgres' nor a 'nobody' account exists for PostgreSQL")


def _make_reachable(path: Path, account: pwd.struct_passwd) -> None:
    """The cluster's account must be able to traverse every directory above its data directory."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if mode & 0o001:
            continue
        if directory == path and directory.stat().st_uid == os.geteuid():
            os.chmod(directory, mode | 0o011)  # traverse only: listing stays private
            continue
        raise ServiceError(
            f"PostgreSQL runs as '{account.pw_name}' (it refuses root) and cannot enter {directory}: "
            f"run `chmod o+x {directory}` or set FLEETTAP_STATE_DIR to a directory under /tmp"
        )


def _init_cluster(state: Path, data_dir: Path, superuser_password: str, account: pwd.struct_passwd | None) -> None:
    if (data_dir / "PG_VERSION").exists():
        return
    initdb = find_binary("initdb")
    if data_dir.exists():
        shutil.rmtree(data_dir)  # a half-initialised directory from an interrupted run
    data_dir.mkdir(parents=True, mode=0o700)
    password_file = data_dir.parent / "initdb.pw"
    password_file.write_text(superuser_password)
    os.chmod(password_file, 0o600)
    if account is not None:
        _make_reachable(state, account)
        for path in (data_dir.parent, data_dir, password_file):
            os.chown(path, account.pw_uid, account.pw_gid)
    try:
        run_checked(
            [
                initdb,
                "-D",
                str(data_dir),
                "-U",
                POSTGRES_USER,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            state,
            "postgres",
            account,
        )
    finally:
        password_file.unlink(missing_ok=True)


def data_dir(state: Path) -> Path:
    return state / "postgres" / "data"


def start(state: Path, info: StackInfo) -> subprocess.Popen:
    postgres = find_binary("postgres")
    account = os_account()
    directory = data_dir(state)
    _init_cluster(state, directory, info.postgres_password, account)
    # The postmaster is started directly (not through pg_ctl) so that its pid is the one recorded.
    # fsync and friends are off: this cluster is throwaway, and speed matters more than durability.
    argv = [
        postgres,
        "-D",
        str(directory),
        "-p",
        str(info.postgres_port),
        "-c",
        f"listen_addresses={LOOPBACK}",
        "-c",
        "unix_socket_directories=",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=200",
        *postgres_tls.server_options(postgres_tls.ensure_certificates(state, account)),
    ]
    return launch(state, "postgres", argv, cwd=directory, run_as=account)


def create_database(info: StackInfo) -> None:
    import psycopg

    with psycopg.connect(
        host=info.postgres_host,
        port=info.postgres_port,
        user=info.postgres_user,
        password=info.postgres_password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (POSTGRES_DB,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
