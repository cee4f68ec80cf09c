"""The SQL peer on real MariaDB servers: settings, parameters, transactions, reconnect."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from backend.src.libs.sql import (
    SQL,
    ExecResult,
    SQLConfig,
    SQLConfigError,
    SQLConnectionError,
    SQLIntegrityError,
    SQLPoolTimeout,
    SQLQueryError,
    quote_identifier,
)
from tests.runtime.conftest import OwnServer, sql_config_for


@pytest.fixture
def sql(sql_config: SQLConfig, table_name: str) -> Iterator[SQL]:
    """A facade on the machine's MariaDB with a fresh ``people`` table named ``table_name``."""
    facade = SQL(config=sql_config)
    assert (
        facade.execute(
            f"CREATE TABLE {table_name} (id INT AUTO_INCREMENT PRIMARY KEY, "
            "name VARCHAR(200) NOT NULL UNIQUE, note TEXT NULL)"
        )
        == facade.success
    ), facade.last_error
    yield facade
    facade.execute(f"DROP TABLE IF EXISTS {table_name}")
    facade.disconnect()


def test_settings_come_from_the_mapping_with_defaults() -> None:
    """DB_* variables are read and validated; unset ones keep their documented defaults."""
    config = SQLConfig.from_env(
        {
            "DB_HOST": "db",
            "DB_PORT": "3307",
            "DB_USER": "app",
            "DB_PASSWORD": "pw",
            "DB_DATABASE": "shop",
            "DB_POOL_SIZE": "8",
        }
    )
    assert (config.host, config.port, config.user, config.database, config.pool_size) == (
        "db",
        3307,
        "app",
        "shop",
        8,
    )
    assert config.sources["pool_size"] == "DB_POOL_SIZE"
    assert SQLConfig.from_env({}) == SQLConfig()
    assert (SQLConfig().host, SQLConfig().port, SQLConfig().pool_size) == ("127.0.0.1", 3306, 5)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DB_PORT": "0"}, "DB_PORT"),
        ({"DB_POOL_SIZE": "100"}, "DB_POOL_SIZE"),
        ({"DB_POOL_SIZE": "many"}, "DB_POOL_SIZE"),
        ({"DB_DATABASE": "shop; DROP"}, "DB_DATABASE"),
        ({"DB_CONNECT_TIMEOUT": "0"}, "DB_CONNECT_TIMEOUT"),
        ({"DB_HOST": "a b"}, "DB_HOST"),
    ],
)
def test_invalid_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    """Every invalid value raises SQLConfigError whose message names the variable."""
    with pytest.raises(SQLConfigError, match=variable):
        SQLConfig.from_env(env)


@pytest.mark.integration  # a refused login (errno 1045) from the machine's MariaDB, no fixture
def test_the_password_never_shows() -> None:
    """repr/describe mask the password; a refused login does not echo it."""
    config = sql_config_for(password="Hunter2Secret")
    assert "Hunter2Secret" not in repr(config)
    assert "password='***'" in repr(config)
    facade = SQL(config=config)
    assert facade.connect() == facade.error
    assert "Hunter2Secret" not in str(facade.last_error)
    assert facade.last_error is not None and facade.last_error.errno == 1045


def test_sql_injection_attempts_are_stored_as_data(sql: SQL, table_name: str) -> None:
    """Hostile strings given as parameters are stored and matched literally; the table
    survives and a quote trick in a WHERE value matches nothing extra."""
    payloads = [
        "Robert'); DROP TABLE " + table_name + "; --",
        "' OR '1'='1",
        '" OR ""="',
        "%s %(name)s \\' \\\\",
        "x`; DELETE FROM " + table_name + " WHERE `1`=`1",
        "1; SELECT SLEEP(5)",
    ]
    for text in payloads:
        result = sql.insert(table_name, {"name": text, "note": text})
        assert isinstance(result, ExecResult) and result.rowcount == 1, sql.last_error
    rows = sql.fetch_all(f"SELECT name, note FROM {table_name} ORDER BY id")
    assert rows == [{"name": p, "note": p} for p in payloads]
    assert sql.fetch_all(f"SELECT id FROM {table_name} WHERE name = %s", ("' OR '1'='1",)) == [
        {"id": 2}
    ]
    assert sql.fetch_one(
        f"SELECT COUNT(*) AS n FROM {table_name} WHERE name = %(v)s", {"v": "nobody' OR 1=1 -- "}
    ) == {"n": 0}
    assert sql.fetch_one(f"SELECT COUNT(*) AS n FROM {table_name}") == {"n": len(payloads)}


def test_identifiers_and_parameters_are_checked_before_any_request(sql: SQL) -> None:
    """Bad identifiers and a string passed as params return error without running SQL."""
    with pytest.raises(SQLQueryError):
        quote_identifier("t`; DROP TABLE x")
    assert quote_identifier("db.t_1") == "`db`.`t_1`"
    assert sql.insert("people; DROP", {"name": "x"}) == sql.error
    assert isinstance(sql.last_error, SQLQueryError)
    assert sql.fetch_all("SELECT %s", "abc") == sql.error  # type: ignore[arg-type]
    assert isinstance(sql.last_error, SQLQueryError)


def test_fetch_helpers_return_dicts_and_codes(sql: SQL, table_name: str) -> None:
    """fetch_all gives a list of dicts, fetch_one a dict or None, run an ExecResult."""
    first = sql.insert(table_name, {"name": "ada", "note": None})
    assert isinstance(first, ExecResult) and first.last_insert_id == 1
    assert sql.execute_many(
        f"INSERT INTO {table_name} (name) VALUES (%s)", [("bob",), ("cy",)]
    ) == ExecResult(rowcount=2, last_insert_id=2)
    assert sql.fetch_one(f"SELECT id, name, note FROM {table_name} WHERE name = %s", ("ada",)) == {
        "id": 1,
        "name": "ada",
        "note": None,
    }
    assert sql.fetch_one(f"SELECT id FROM {table_name} WHERE name = %s", ("zed",)) is None
    assert sql.fetch_all(f"SELECT name FROM {table_name} ORDER BY name") == [
        {"name": "ada"},
        {"name": "bob"},
        {"name": "cy"},
    ]
    updated = sql.run(f"UPDATE {table_name} SET note = %s WHERE id > %s", ("n", 1))
    assert updated == ExecResult(rowcount=2, last_insert_id=None)
    assert sql.execute(f"INSERT INTO {table_name} (name) VALUES (%s)", ("ada",)) == sql.error
    assert isinstance(sql.last_error, SQLIntegrityError) and sql.last_error.errno == 1062
    assert sql.fetch_all("SELEKT 1") == sql.error
    assert isinstance(sql.last_error, SQLQueryError) and sql.last_error.errno == 1064
    assert sql.fetch_one("SELECT 1 AS one") == {"one": 1}
    assert sql.last_error is None


def test_transaction_commits_or_rolls_back_on_error(sql: SQL, table_name: str) -> None:
    """A clean block commits both rows; an exception rolls every statement back and
    propagates; execute_many is all or nothing."""
    with sql.transaction() as tx:
        tx.insert(table_name, {"name": "a"})
        tx.execute(f"INSERT INTO {table_name} (name) VALUES (%s)", ("b",))
        assert tx.fetch_one(f"SELECT COUNT(*) AS n FROM {table_name}") == {"n": 2}

    with pytest.raises(RuntimeError, match="boom"), sql.transaction() as tx:
        tx.insert(table_name, {"name": "c"})
        raise RuntimeError("boom")

    with pytest.raises(SQLIntegrityError), sql.transaction() as tx:
        tx.insert(table_name, {"name": "d"})
        tx.insert(table_name, {"name": "a"})  # duplicate: the whole block is undone
    assert isinstance(sql.last_error, SQLIntegrityError)

    with sql.transaction() as tx:
        tx.insert(table_name, {"name": "e"})
        tx.rollback()

    assert (
        sql.execute_many(f"INSERT INTO {table_name} (name) VALUES (%s)", [("f",), ("a",)])
        == sql.error
    )
    names = sql.fetch_all(f"SELECT name FROM {table_name} ORDER BY name")
    assert names == [{"name": "a"}, {"name": "b"}]


def test_a_busy_pool_makes_callers_wait_then_time_out(sql_config: SQLConfig) -> None:
    """With every pooled connection busy, a call waits pool_timeout and returns error."""
    facade = SQL(config=sql_config.replace(pool_size=1, pool_timeout=0.3))
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with facade.transaction() as tx:
            tx.fetch_one("SELECT 1 AS x")
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)
    assert facade.fetch_one("SELECT 1 AS x") == facade.error
    assert isinstance(facade.last_error, SQLPoolTimeout)
    release.set()
    holder.join(10)
    assert facade.fetch_one("SELECT 1 AS x") == {"x": 1}
    facade.disconnect()


def test_an_unreachable_server_returns_error_and_builds_lazily() -> None:
    """Building makes no connection; calls to a closed port return error, never raise."""
    facade = SQL(config=sql_config_for(port=1, connect_timeout=1))
    assert facade.is_connected() is False
    assert facade.fetch_all("SELECT 1") == facade.error
    assert isinstance(facade.last_error, SQLConnectionError)
    assert facade.health_check() is False
    assert facade.disconnect() == facade.success
    assert facade.disconnect() == facade.success


def test_reconnects_after_its_own_server_restarts(own_mariadb: OwnServer) -> None:
    """After a restart of a MariaDB the test started on its own port, the first call
    works again; while it is down, calls return error with a connection error."""
    facade = SQL(config=sql_config_for(own_mariadb.port, pool_size=2))
    assert facade.connect() == facade.success
    assert facade.execute("CREATE TABLE IF NOT EXISTS kv (k VARCHAR(20) PRIMARY KEY, v TEXT)") == 0
    assert facade.execute("REPLACE INTO kv VALUES (%s, %s)", ("a", "before")) == facade.success

    own_mariadb.stop()
    assert facade.fetch_one("SELECT v FROM kv WHERE k = %s", ("a",)) == facade.error
    assert isinstance(facade.last_error, SQLConnectionError)
    assert facade.health_check() is False

    own_mariadb.start(seconds=60)
    assert facade.fetch_one("SELECT v FROM kv WHERE k = %s", ("a",)) == {"v": "before"}
    assert facade.execute("REPLACE INTO kv VALUES (%s, %s)", ("a", "after")) == facade.success
    with facade.transaction() as tx:
        assert tx.fetch_one("SELECT v FROM kv WHERE k = %s", ("a",)) == {"v": "after"}
    assert facade.is_connected() is True
    assert facade.last_error is None
    facade.disconnect()
