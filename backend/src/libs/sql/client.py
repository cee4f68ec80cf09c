"""``SQL``: the final facade with return codes over a mysql-connector connection pool.

The lifecycle is ``core.facade``'s: the pool opens on first use (``pool_size``
connections at once); ``connect()`` and ``health_check()`` send ``SELECT 1``.
mysql-connector reconnects a pooled connection at checkout after a server restart; a
read whose connection drops mid-way is replayed once (writes are not: they may have
been applied).

With ``DB_FAILOVER`` each checkout goes through the connector's ``failover`` argument,
one named pool per server (``priority`` 100, 99, ... in the listed order): while
``DB_HOST`` is down new connections go to the next server, and back once it answers.
``answered_by`` says which server answered last. ``DB_SSL_*`` apply to every server.

Values never go into SQL text: ``query`` has ``%s`` (or ``%(name)s``) placeholders and
``params`` go as data; ``quote_identifier`` validates and quotes identifiers.

Every public method returns ``success`` / ``error`` (or its data, or ``error``) and never
raises: the failure is logged once on ``bucket.SQL`` and kept in ``last_error``. Inside
``transaction()`` statements raise ``SQLError``; any exception rolls back and propagates.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from backend.src.libs.core.facade import Facade
from backend.src.libs.core.final import FinalClass
from backend.src.libs.sql.config import SQLConfig
from backend.src.libs.sql.connector_private import close_pool, drop_named_pool
from backend.src.libs.sql.errors import (
    SQLConnectionError,
    SQLError,
    SQLPoolTimeout,
    SQLQueryError,
    translate,
)

T = TypeVar("T")
Params = Sequence[Any] | Mapping[str, Any] | None
Row = dict[str, Any]
_IDENT_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
_POOL_IDS = itertools.count(1)


@dataclass(frozen=True)
class ExecResult:
    """What a statement changed.

    Attributes:
        rowcount: rows affected (-1 when the server does not say).
        last_insert_id: the AUTO_INCREMENT value generated, if any.
    """

    rowcount: int
    last_insert_id: int | None = None


def quote_identifier(name: str) -> str:
    """``name`` (``table`` or ``db.table``) validated and quoted with backticks.

    Raises:
        SQLQueryError: a part is empty, longer than 64 or has characters other than
            letters, digits, ``_`` and ``$``.
    """
    parts = name.split(".") if isinstance(name, str) else [""]
    if not 1 <= len(parts) <= 2 or not all(_IDENT_RE.match(p) for p in parts):
        raise SQLQueryError(f"invalid identifier {name!r}: letters, digits, _ and $ only")
    return ".".join(f"`{p}`" for p in parts)


def _check_params(query: str, params: Params) -> None:
    if not isinstance(query, str) or not query.strip():
        raise SQLQueryError("query must be a non-empty string")
    if params is None:
        return
    if isinstance(params, (str, bytes, bytearray)) or not isinstance(params, (Sequence, Mapping)):
        raise SQLQueryError(
            f"params must be a tuple, a list or a mapping, not {type(params).__name__}"
        )


def _insert_sql(table: str, row: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
    if not row:
        raise SQLQueryError("insert needs at least one column")
    columns = ", ".join(quote_identifier(c) for c in row)
    marks = ", ".join(["%s"] * len(row))
    query = f"INSERT INTO {quote_identifier(table)} ({columns}) VALUES ({marks})"
    return query, tuple(row.values())


Fetch = Literal["all", "one", "none"]


def _run(cnx: Any, query: str, params: Params, fetch: Fetch) -> Any:
    _check_params(query, params)
    cursor = cnx.cursor(dictionary=True, buffered=True)
    try:
        cursor.execute(query, params)
        if fetch == "all":
            return [dict(row) for row in cursor.fetchall()]
        if fetch == "one":
            row = cursor.fetchone()
            return None if row is None else dict(row)
        return ExecResult(int(cursor.rowcount), cursor.lastrowid or None)
    finally:
        cursor.close()


def _run_many(cnx: Any, query: str, rows: Sequence[Params]) -> ExecResult:
    for params in rows:
        _check_params(query, params)
    cursor = cnx.cursor()
    try:
        cursor.executemany(query, list(rows))
        return ExecResult(int(cursor.rowcount), cursor.lastrowid or None)
    finally:
        cursor.close()


class Transaction:
    """Statements inside ``SQL.transaction()``: they raise ``SQLError`` on failure.

    Not thread-safe: one transaction belongs to one thread.
    """

    def __init__(self, cnx: Any) -> None:
        self._cnx = cnx
        self.rolled_back = False

    def _do(self, func: Callable[[], T]) -> T:
        if self.rolled_back:
            raise SQLQueryError("the transaction was rolled back")
        try:
            return func()
        except Exception as exc:
            raise translate(exc) from exc

    def execute(self, query: str, params: Params = None) -> ExecResult:
        """Run one statement; its ``ExecResult``."""
        return self._do(lambda: _run(self._cnx, query, params, "none"))  # type: ignore[no-any-return]

    def execute_many(self, query: str, rows: Sequence[Params]) -> ExecResult:
        """Run one statement for each parameter set."""
        return self._do(lambda: _run_many(self._cnx, query, rows))

    def insert(self, table: str, row: Mapping[str, Any]) -> ExecResult:
        """Insert one row (column names validated and quoted)."""
        query, params = _insert_sql(table, row)
        return self.execute(query, params)

    def fetch_all(self, query: str, params: Params = None) -> list[Row]:
        """Every row as a dict."""
        return self._do(lambda: _run(self._cnx, query, params, "all"))

    def fetch_one(self, query: str, params: Params = None) -> Row | None:
        """The first row as a dict, or None."""
        return self._do(lambda: _run(self._cnx, query, params, "one"))  # type: ignore[no-any-return]

    def rollback(self) -> None:
        """Roll back now; the block then ends without committing."""
        self._do(self._cnx.rollback)
        self.rolled_back = True


@dataclass(frozen=True)
class _Pool:
    """The open pool(s): how to take a connection, how to close the idle ones, and the
    slots that bound how many callers wait on them."""

    get: Callable[[], Any]
    close: Callable[[], object]
    slots: threading.BoundedSemaphore


class SQL(Facade[SQLConfig, _Pool, SQLError], metaclass=FinalClass):
    """MariaDB / MySQL with return codes (a mysql-connector pool; lifecycle: ``Facade``).

    Args:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        auto_connect: read and validate the settings now (default True; no connection
            is opened before first use or ``connect()``).
        debug: kept for the seeds' signature; changes nothing.
        config: settings; default ``SQLConfig.from_env()``, read on first use (a bad
            setting surfaces as ``error``, never at construction).

    Attributes:
        last_error: the ``SQLError`` of the calling thread's (or task's) last call;
            None after a success.
        last_latency: seconds taken by the last ``health_check`` probe.

    Thread-safety: shareable by threads; each call checks a connection out of the pool
    (waiting up to ``pool_timeout`` when all are busy).
    """

    logger_name = "bucket.SQL"
    _answered_by: str | None = None

    # ------------------------------------------------------------- plumbing
    def _read_config(self) -> SQLConfig:
        return SQLConfig.from_env()

    def _auto_open(self) -> object:
        return self.config  # the pool opens pool_size connections: not before first use

    def _open(self) -> _Pool:
        try:
            from mysql.connector.pooling import MySQLConnectionPool
        except ImportError as exc:  # the driver is the optional extra backend-bucket[sql]
            raise SQLError(
                "the MySQL driver (mysql-connector-python) is not installed: "
                "install backend-bucket[sql] (pip install 'backend-bucket[sql]'; "
                "in a checkout pip install -e '.[sql]')"
            ) from exc

        config = self.config
        config.check_tls()
        slots = threading.BoundedSemaphore(config.pool_size)
        name = f"bucket_sql_{next(_POOL_IDS)}"
        if config.failover:
            get, close = _failover_pools(config, name)
            self.log.debug("connect: failover pools on %s", config.location)
            return _Pool(get, close, slots)
        raw = MySQLConnectionPool(
            pool_name=name,
            pool_size=config.pool_size,
            pool_reset_session=True,
            **config.connect_kwargs(),
        )
        self.log.debug("connect: pool opened on %s", config.location)
        return _Pool(raw.get_connection, lambda: close_pool(raw), slots)

    def _release(self, resource: _Pool, *, owned: bool) -> None:
        resource.close()  # closes the idle connections

    def _probe(self, resource: _Pool) -> object:
        with self._checkout(resource) as cnx:
            return _run(cnx, "SELECT 1 AS ok", None, "one")

    def _translate(self, exc: Exception, operation: str) -> SQLError:
        error = translate(exc)
        config = self._config
        if (
            config is None
            or not isinstance(error, SQLConnectionError)
            or isinstance(error, SQLPoolTimeout)  # names DB_POOL_SIZE already
            or "(check " in error.message
        ):
            return error
        hint = config.connection_hint(error.message)
        return SQLConnectionError(
            f"{error.message} ({config.location}; {hint})",
            errno=error.errno,
            sqlstate=error.sqlstate,
        )

    @property
    def answered_by(self) -> str | None:
        """The server that gave the last connection, for the ping report:
        ``host:port (DB_HOST)`` or ``host:port (DB_FAILOVER)``; None before any."""
        return self._answered_by

    def _is_dropped(self, error: SQLError) -> bool:
        # mysql-connector reconnects a pooled connection when it is checked out, so the
        # replay needs no _reconnect(); a busy pool is not a dropped connection
        return isinstance(error, SQLConnectionError) and not isinstance(error, SQLPoolTimeout)

    @contextmanager
    def _checkout(self, resource: _Pool) -> Iterator[Any]:
        """A pooled connection for the block (returned to the pool afterwards).

        Raises:
            SQLPoolTimeout: none became free within ``pool_timeout``.
            Exception: mysql-connector's, when the server cannot be reached.
        """
        if not resource.slots.acquire(timeout=self.config.pool_timeout):
            raise SQLPoolTimeout(
                f"no pooled connection became free within {self.config.pool_timeout} s "
                f"(DB_POOL_SIZE={self.config.pool_size})"
            )
        try:
            cnx = resource.get()
            self._note_server(cnx)
            try:
                yield cnx
            finally:
                try:
                    cnx.close()  # back to the pool (after a session reset)
                except Exception as exc:
                    self.log.debug("pool: returning a connection: %r", exc)
        finally:
            resource.slots.release()

    def _note_server(self, cnx: Any) -> None:
        try:
            host, port = str(cnx.server_host), int(cnx.server_port)
        except Exception:  # a connection that cannot say: keep the last answer
            return
        setting = self.config.server_setting(host, port)
        self._answered_by = f"{host}:{port} ({setting})"

    def _with_connection(
        self, operation: str, func: Callable[[Any], T], *, replay: bool
    ) -> T | int:
        def run() -> T:
            with self._checkout(self._ensure()) as cnx:
                return func(cnx)

        return self._call(operation, run, reconnect=replay)

    # ------------------------------------------------------------- queries
    def execute(self, query: str, params: Params = None) -> int:
        """Run one statement (autocommitted): ``success`` or ``error``.

        Args:
            query: SQL with ``%s`` / ``%(name)s`` placeholders, never values.
            params: a tuple, list or mapping of values (sent as data).
        """
        result = self.run(query, params)
        return self.success if isinstance(result, ExecResult) else self.error

    def run(self, query: str, params: Params = None) -> ExecResult | int:
        """Run one statement (autocommitted): its ``ExecResult``, or ``error``."""
        return self._with_connection(
            "execute", lambda cnx: _run(cnx, query, params, "none"), replay=False
        )

    def execute_many(self, query: str, rows: Sequence[Params]) -> ExecResult | int:
        """Run one statement for each parameter set (batched by the driver), in one
        transaction: all rows or none. Its ``ExecResult``, or ``error``."""

        def run(cnx: Any) -> ExecResult:
            cnx.start_transaction()
            try:
                result = _run_many(cnx, query, rows)
                cnx.commit()
                return result
            except BaseException:
                cnx.rollback()
                raise

        return self._with_connection("execute_many", run, replay=False)

    def insert(self, table: str, row: Mapping[str, Any]) -> ExecResult | int:
        """Insert one row; table and column names are validated and quoted.

        Returns its ``ExecResult`` (``last_insert_id`` set for AUTO_INCREMENT), or ``error``.
        """

        def run(cnx: Any) -> ExecResult:
            query, params = _insert_sql(table, row)
            return _run(cnx, query, params, "none")  # type: ignore[no-any-return]

        return self._with_connection("insert", run, replay=False)

    def fetch_all(self, query: str, params: Params = None) -> list[Row] | int:
        """Every row as a dict (column name -> value), or ``error``."""
        return self._with_connection(
            "fetch_all", lambda cnx: _run(cnx, query, params, "all"), replay=True
        )

    def fetch_one(self, query: str, params: Params = None) -> Row | int | None:
        """The first row as a dict, None when there is none, or ``error``."""
        return self._with_connection(
            "fetch_one", lambda cnx: _run(cnx, query, params, "one"), replay=True
        )

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A transaction on one pooled connection: commits when the block ends, rolls
        back when it raises (the exception propagates).

        Example::

            with sql.transaction() as tx:
                tx.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", (5, 1))
                tx.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (5, 2))

        Raises:
            SQLError: no connection could be had, a statement failed, or the commit
                failed (after a rollback). ``last_error`` is set too.
        """
        with ExitStack() as stack:
            try:
                cnx = stack.enter_context(self._checkout(self._ensure()))
                cnx.start_transaction()
            except Exception as exc:
                raise self._failed(exc) from exc
            tx = Transaction(cnx)
            try:
                yield tx
                if not tx.rolled_back:
                    cnx.commit()
            except BaseException as exc:
                try:
                    if not tx.rolled_back:
                        cnx.rollback()
                except Exception as rollback_exc:
                    self.log.warning("transaction: rollback failed: %r", rollback_exc)
                if isinstance(exc, SQLError):
                    self._fail("transaction", exc)
                elif isinstance(exc, Exception) and type(exc).__module__.startswith("mysql"):
                    raise self._failed(exc) from exc
                else:
                    self.log.warning("transaction: rolled back: %s", type(exc).__name__)
                raise
            self.last_error = None

    def _failed(self, exc: Exception) -> SQLError:
        """``exc`` translated, logged and kept in ``last_error`` (``transaction``)."""
        error = translate(exc)
        self._fail("transaction", error)
        return error


def _failover_pools(config: SQLConfig, name: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    """``(get, close)`` over the connector's ``failover`` argument: one named pool per
    server (``{name}_0`` for ``DB_HOST``, then one per ``DB_FAILOVER`` entry), tried by
    descending ``priority`` (100, 99, ...: the listed order)."""
    import mysql.connector

    names = [f"{name}_{index}" for index in range(len(config.servers))]
    servers = [
        {"host": host, "port": port, "priority": 100 - index, "pool_name": names[index]}
        for index, (host, port) in enumerate(config.servers)
    ]
    common = {
        key: value for key, value in config.connect_kwargs().items() if key not in ("host", "port")
    }
    common.update(pool_size=config.pool_size, pool_reset_session=True)

    def get() -> Any:
        # copies: the connector writes into the server entries
        return mysql.connector.connect(failover=[dict(s) for s in servers], **common)

    def close() -> None:
        # the connector keeps named pools in a module registry and has no public way
        # to drop one: drop ours so a closed facade holds no connection
        for pool_name in names:
            drop_named_pool(pool_name)

    return get, close


__all__ = ["SQL", "ExecResult", "Params", "Row", "Transaction", "quote_identifier"]
