"""The SQL peer's errors, and the one place that translates mysql-connector exceptions.

::

    SQLError                          root; message, errno, sqlstate
    ├── SQLConfigError (ValueError)   a setting is invalid (names the variable)
    ├── SQLConnectionError (ConnectionError)  refused, lost, timed out, server gone
    │   └── SQLPoolTimeout            every pooled connection stayed busy too long
    ├── SQLAuthError (PermissionError)        access denied
    ├── SQLIntegrityError             duplicate key, foreign key, NOT NULL...
    └── SQLQueryError (ValueError)    syntax, unknown table or column, bad parameters

Callers write ``raise translate(exc) from exc``.
"""

from __future__ import annotations

# client error numbers that mean the connection is unusable (CR_* and ER_* codes)
CONNECTION_ERRNOS = frozenset(
    {2002, 2003, 2005, 2006, 2013, 2014, 2026, 2027, 2055, 1053, 1927, 4031}
)
AUTH_ERRNOS = frozenset({1044, 1045, 1142, 1143, 1227, 1698})


class SQLError(Exception):
    """Root of the SQL peer's errors.

    Attributes:
        message: what went wrong, for a person (never a password or a parameter value).
        errno: the server or client error number, if any.
        sqlstate: the SQLSTATE, if any.
    """

    def __init__(
        self, message: str, *, errno: int | None = None, sqlstate: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.sqlstate = sqlstate

    @property
    def code(self) -> str:
        """A short tag: the errno when known, else the class name."""
        return str(self.errno) if self.errno is not None else type(self).__name__

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.errno is not None else self.message


class SQLConfigError(SQLError, ValueError):
    """A setting is missing or invalid; the message names the variable."""


class SQLConnectionError(SQLError, ConnectionError):
    """The server cannot be reached, or the connection was lost."""


class SQLPoolTimeout(SQLConnectionError):
    """No pooled connection became free within ``pool_timeout`` seconds."""


class SQLAuthError(SQLError, PermissionError):
    """The server refused the user, password or privilege."""


class SQLIntegrityError(SQLError):
    """A constraint refused the change (duplicate key, foreign key, NOT NULL)."""


class SQLQueryError(SQLError, ValueError):
    """The statement or its parameters are invalid (syntax, unknown table...)."""


def translate(exc: BaseException) -> SQLError:
    """An ``SQLError`` for any exception raised by mysql-connector (ours unchanged)."""
    if isinstance(exc, SQLError):
        return exc
    from mysql.connector import errors as my

    errno = getattr(exc, "errno", None)
    errno = errno if isinstance(errno, int) and errno > 0 else None
    sqlstate = getattr(exc, "sqlstate", None)
    text = str(getattr(exc, "msg", None) or exc) or type(exc).__name__
    if isinstance(exc, my.PoolError):
        return SQLConnectionError(text, errno=errno, sqlstate=sqlstate)
    if errno in AUTH_ERRNOS:
        return SQLAuthError(text, errno=errno, sqlstate=sqlstate)
    if errno in CONNECTION_ERRNOS or (
        isinstance(exc, (my.InterfaceError, my.OperationalError, OSError))
        and not isinstance(exc, my.ProgrammingError)
    ):
        return SQLConnectionError(text, errno=errno, sqlstate=sqlstate)
    if isinstance(exc, my.IntegrityError):
        return SQLIntegrityError(text, errno=errno, sqlstate=sqlstate)
    if isinstance(
        exc, (my.ProgrammingError, my.DataError, my.NotSupportedError, TypeError, ValueError)
    ):
        return SQLQueryError(text, errno=errno, sqlstate=sqlstate)
    return SQLError(f"{type(exc).__name__}: {text}", errno=errno, sqlstate=sqlstate)


__all__ = [
    "SQLAuthError",
    "SQLConfigError",
    "SQLConnectionError",
    "SQLError",
    "SQLIntegrityError",
    "SQLPoolTimeout",
    "SQLQueryError",
    "translate",
]
