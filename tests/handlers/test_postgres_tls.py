"""The local PostgreSQL speaks TLS with a certificate the handlers verify (sslmode=verify-full), as
Aurora with rds.force_ssl does: the same verify path runs locally (harness.postgres_tls)."""

from __future__ import annotations

import psycopg
import pytest

from harness.postgres_tls import ca_file, ensure_certificates
from tests.handlers.handler_servers import DedicatedPostgres


@pytest.fixture(scope="module")
def tls_postgres():
    server = DedicatedPostgres()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _connect(info, root_cert, host="127.0.0.1"):
    return psycopg.connect(
        host=host,
        port=info.postgres_port,
        user=info.postgres_user,
        password=info.postgres_password,
        dbname="postgres",
        sslmode="verify-full",
        sslrootcert=str(root_cert),
        connect_timeout=5,
    )


def test_verify_full_against_the_local_ca(tls_postgres):
    with _connect(tls_postgres.info, ca_file(tls_postgres.state)) as conn:
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True


def test_another_ca_is_refused(tls_postgres, tmp_path):
    ensure_certificates(tmp_path)  # a CA the server's certificate is not signed by
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        _connect(tls_postgres.info, ca_file(tmp_path))
