"""The SQL peer on real MariaDB servers that only accept TLS: verified certificates, a
client certificate, a failover to a second server, and bad TLS / failover settings named
in the ping report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.core import RuntimeManager
from backend.src.libs.sql import SQL, SQLConfig, SQLConfigError, SQLConnectionError
from tests.runtime.conftest import Topology


def tls_config(topology: Topology, **overrides: object) -> SQLConfig:
    """The pair's settings (server "a" first, "b" in DB_FAILOVER), short timeouts."""
    env = {
        **topology.settings("DB_"),
        "DB_POOL_SIZE": "2",
        "DB_CONNECT_TIMEOUT": "2",
        "DB_POOL_TIMEOUT": "5",
    }
    return SQLConfig.from_env(env, **overrides)


@pytest.fixture
def runtime_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeManager]:
    """An isolated runtime in a folder without ``.env`` (closed afterwards)."""
    monkeypatch.chdir(tmp_path)
    manager = RuntimeManager(isolated=True)
    yield manager
    manager.close()


def test_tls_with_identity_check_and_client_certificate(
    mariadb_pair: Topology, runtime_on: RuntimeManager
) -> None:
    """With the CA, a client certificate and identity checks on, the session is
    encrypted and the ping report says server "a" (DB_HOST) answered."""
    config = tls_config(mariadb_pair, failover=())
    assert config.ssl_verify_identity is True
    runtime_on.configure(sql=config)
    sql = runtime_on.sql
    row = sql.fetch_one("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
    assert isinstance(row, dict) and row["Value"].startswith("TLS_"), row
    user = sql.fetch_one("SELECT CURRENT_USER() AS user, @@port AS port")
    assert user == {"user": "app@%", "port": int(mariadb_pair.env["PORT_A"])}
    report = runtime_on.ping("sql")
    assert report.healthy, report.as_dict()
    assert report["sql"].detail == f"127.0.0.1:{mariadb_pair.env['PORT_A']} (DB_HOST)"


def test_without_the_client_certificate_the_server_refuses(mariadb_pair: Topology) -> None:
    """User ``app`` is REQUIRE X509: without DB_SSL_CERT/KEY the server says access
    denied, and the password is in no message."""
    config = tls_config(mariadb_pair, failover=()).replace(ssl_cert=None, ssl_key=None)
    sql = SQL(config=config)
    assert sql.fetch_one("SELECT 1") == sql.error
    assert "Access denied" in str(sql.last_error)
    assert config.password not in str(sql.last_error)
    sql.close()


def test_failover_to_the_second_server_and_back(
    mariadb_pair: Topology, runtime_on: RuntimeManager
) -> None:
    """SIGKILL of server "a": the next call of the same facade gets a connection from
    "b" (DB_FAILOVER); once "a" is back, new connections go to "a" again."""
    runtime_on.configure(sql=tls_config(mariadb_pair, ssl_verify_identity=False))
    sql = runtime_on.sql
    port_a, port_b = int(mariadb_pair.env["PORT_A"]), int(mariadb_pair.env["PORT_B"])
    assert sql.fetch_one("SELECT @@port AS port") == {"port": port_a}
    mariadb_pair.run("kill", "a")
    try:
        assert sql.fetch_one("SELECT @@port AS port") == {"port": port_b}
        assert sql.last_error is None
        assert sql.execute("CREATE TABLE IF NOT EXISTS failover_t (id INT)") == sql.success
        report = runtime_on.ping("sql")
        assert report.healthy and report["sql"].detail == f"127.0.0.1:{port_b} (DB_FAILOVER)"
        assert runtime_on.sql is sql
    finally:
        mariadb_pair.run("revive", "a")
    assert sql.fetch_one("SELECT @@port AS port") == {"port": port_a}
    assert runtime_on.ping("sql")["sql"].detail == f"127.0.0.1:{port_a} (DB_HOST)"


def test_a_certificate_for_another_host_is_refused_naming_the_identity_check(
    mariadb_pair: Topology, runtime_on: RuntimeManager
) -> None:
    """Server "b"'s certificate names db-b.invalid: with identity checks on, connecting
    to it by IP fails, and the report names DB_SSL_VERIFY_IDENTITY (no password)."""
    config = tls_config(
        mariadb_pair, port=int(mariadb_pair.env["PORT_B"]), failover=(), ssl_verify_identity=True
    )
    runtime_on.configure(sql=config)
    reason = runtime_on.ping("sql")["sql"].reason or ""
    assert "check DB_SSL_VERIFY_IDENTITY" in reason, reason
    assert "IP address mismatch" in reason
    assert config.password not in reason and "Traceback" not in reason
    assert isinstance(runtime_on.sql.last_error, SQLConnectionError)


def test_every_failover_server_down_names_the_list(runtime_on: RuntimeManager) -> None:
    """DB_HOST and every DB_FAILOVER server closed: ``error`` with a connection error
    naming DB_HOST / DB_PORT and DB_FAILOVER and each server tried."""
    config = SQLConfig.from_env(
        {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": "1",
            "DB_FAILOVER": "127.0.0.1:2,127.0.0.1:3",
            "DB_PASSWORD": "pw-Xy9",
            "DB_CONNECT_TIMEOUT": "1",
        }
    )
    runtime_on.configure(sql=config)
    sql = runtime_on.sql
    assert sql.fetch_all("SELECT 1") == sql.error
    message = str(sql.last_error)
    assert "check DB_HOST / DB_PORT and DB_FAILOVER" in message
    assert "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3" in message
    reason = runtime_on.ping("sql")["sql"].reason or ""
    assert "DB_FAILOVER" in reason and "pw-Xy9" not in reason and "pw-Xy9" not in message


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DB_SSL_CA": "/nonexistent/ca.pem"}, "DB_SSL_CA names no readable file"),
        ({"DB_SSL_CERT": "/nonexistent/client.pem"}, "DB_SSL_CERT names no readable file"),
        ({"DB_FAILOVER": "127.0.0.1:3307,db-c:port"}, "DB_FAILOVER entry 'db-c:port'"),
        ({"DB_SSL_VERIFY_IDENTITY": "true"}, "DB_SSL_VERIFY_IDENTITY=true needs DB_SSL_CA"),
    ],
)
def test_bad_tls_and_failover_settings_are_named_in_the_ping_report(
    env: dict[str, str],
    named: str,
    runtime_on: RuntimeManager,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CA file that does not exist, a missing client certificate, a bad failover
    entry, identity checks without a CA: the settings are refused when read, and the
    ping report and ``last_error`` name the variable (no password, no traceback)."""
    monkeypatch.setenv("DB_PASSWORD", "pw-Xy9")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reason = runtime_on.ping("sql")["sql"].reason or ""
    assert named in reason, reason
    assert "pw-Xy9" not in reason and "Traceback" not in reason
    sql = runtime_on.sql
    assert sql.fetch_one("SELECT 1") == sql.error
    assert isinstance(sql.last_error, SQLConfigError) and named in str(sql.last_error)
