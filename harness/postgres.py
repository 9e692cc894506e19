"""A throwaway PostgreSQL cluster under <state>/postgres, reachable on loopback TCP only."""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
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


def _can_traverse(directory: Path, account: pwd.struct_passwd) -> bool:
    info = directory.stat()
    if info.st_uid == account.pw_uid:
        return bool(info.st_mode & 0o100)
    if info.st_gid == account.pw_gid:
        return bool(info.st_mode & 0o010)
    return bool(info.st_mode & 0o001)


def _parents_reachable(path: Path, account: pwd.struct_passwd) -> bool:
    return all(_can_traverse(directory, account) for directory in path.parents)


def _make_reachable(path: Path, account: pwd.struct_passwd) -> None:
    """The cluster's account must be able to traverse every directory above its data directory
    (cluster_root chose `path` so that only `path` itself may need it)."""
    for directory in [path, *path.parents]:
        if _can_traverse(directory, account):
            continue
        if directory == path and directory.stat().st_uid == os.geteuid():
            os.chmod(directory, directory.stat().st_mode | 0o011)  # traverse only: listing stays private
            continue
        raise ServiceError(f"PostgreSQL runs as '{account.pw_name}' (it refuses root) and cannot enter {directory}")


RUNTIME_DIRS = (tempfile.gettempdir(), "/tmp", "/var/tmp")
CLUSTER_MARK = "cluster-id"


def cluster_root(state: Path) -> Path:
    """Where the cluster lives: `<state>/postgres`, unless PostgreSQL runs as another account (we
    are root) that cannot reach the state directory, for instance a checkout under /root or in a
    `mktemp -d` folder (mode 700). Then it lives in a directory of its own under a runtime directory
    every account can enter (/tmp), named after the state directory, owned by that account and
    private to it; `<state>/postgres.cluster` pairs the two (harness.postgres.start)."""
    account = os_account()
    if account is None or _parents_reachable(state, account):
        return state / "postgres"
    key = hashlib.sha256(str(state.resolve()).encode()).hexdigest()[:16]
    for candidate in RUNTIME_DIRS:
        base = Path(candidate)
        if base.is_dir() and _can_traverse(base, account) and _parents_reachable(base, account):
            return base / f"fleettap-postgres-{key}"
    raise ServiceError(
        f"PostgreSQL runs as '{account.pw_name}' (it refuses root) and can reach neither {state} nor any of "
        f"{', '.join(RUNTIME_DIRS)}: set FLEETTAP_STATE_DIR to a directory it can enter"
    )


def _claim_external_root(state: Path, root: Path, account: pwd.struct_passwd) -> None:
    """An external cluster root belongs to this state directory: created private to the cluster's
    account, and wiped when it was left by an earlier state directory of the same path (`make clean`
    removed the password it was initialised with) or is not owned by that account."""
    mark_in_state = state / "postgres.cluster"
    if root.exists():
        info = root.lstat()
        ours = (
            not root.is_symlink()
            and info.st_uid == account.pw_uid
            and mark_in_state.exists()
            and (root / CLUSTER_MARK).exists()
            and (root / CLUSTER_MARK).read_text() == mark_in_state.read_text()
        )
        if ours:
            return
        if root.is_symlink() or info.st_uid not in (account.pw_uid, 0):
            raise ServiceError(f"{root} exists and belongs to another account: remove it or set FLEETTAP_STATE_DIR")
        shutil.rmtree(root)
    root.mkdir(mode=0o700)
    mark = secrets.token_hex(8)
    (root / CLUSTER_MARK).write_text(mark)
    mark_in_state.write_text(mark)
    for path in (root, root / CLUSTER_MARK):
        os.chown(path, account.pw_uid, account.pw_gid)


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
        _make_reachable(data_dir.parent.parent, account)
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
    return cluster_root(state) / "data"


def start(state: Path, info: StackInfo) -> subprocess.Popen:
    postgres = find_binary("postgres")
    account = os_account()
    directory = data_dir(state)
    if account is not None and directory.parent != state / "postgres":
        _claim_external_root(state, directory.parent, account)
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
        *postgres_tls.server_options(_tls_files(state, directory.parent, account)),
    ]
    return launch(state, "postgres", argv, cwd=directory, run_as=account)


def _tls_files(state: Path, root: Path, account: pwd.struct_passwd | None) -> postgres_tls.TlsFiles | None:
    """The server's TLS files, where the postgres account can read them (the cluster's own root when
    the cluster lives outside the state dir)."""
    files = postgres_tls.ensure_certificates(state, account)
    if files is None or account is None or root == state / "postgres":
        return files
    return postgres_tls.copy_server_files(files, root / "tls", account)


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
