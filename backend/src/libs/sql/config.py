"""Every setting of the SQL peer (MariaDB / MySQL), read from a mapping and validated.

``SQLConfig.from_env()`` reads ``os.environ`` over a ``.env`` file; tests pass a dict;
explicit ``from_env(**overrides)`` win. Invalid values raise ``SQLConfigError``
naming the variable. ``repr`` masks the password; nothing is read at import time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.src.libs.core.declarations import DeclaredConfig, Setting, Table
from backend.src.libs.sql.errors import SQLConfigError

_NAME_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")

SETTINGS = Table(
    "sql",
    (
        Setting(
            "host",
            ("DB_HOST",),
            "MariaDB / MySQL server name or address",
            default="127.0.0.1",
            example="127.0.0.1",
        ),
        Setting(
            "port",
            ("DB_PORT",),
            "TCP port of the server",
            kind="int",
            default=3306,
            low=1,
            high=65535,
            example="3306",
        ),
        Setting(
            "socket", ("DB_SOCKET",), "a unix socket path; when set, host and port are not used"
        ),
        Setting(
            "user",
            ("DB_USER",),
            "user name (docker compose creates it: not root there)",
            default="root",
            example="bucket",
        ),
        Setting(
            "password",
            ("DB_PASSWORD",),
            "the password; an empty value is a valid (empty) password",
            default="",
            shown_default="empty",
            secret=True,
            keep_empty=True,
            example="change-me-db-password",
        ),
        Setting(
            "database",
            ("DB_DATABASE", "DB_NAME"),
            "the default database (docker compose creates it)",
            form="letters, digits, `_` and `$`, at most 64",
            shown_default="none selected",
            example="bucket",
        ),
        Setting(
            "pool_size",
            ("DB_POOL_SIZE",),
            "pooled connections, all opened on first use",
            kind="int",
            default=5,
            low=1,
            high=32,
            example="5",
        ),
        Setting(
            "pool_timeout",
            ("DB_POOL_TIMEOUT",),
            "seconds a call waits for a free connection",
            kind="float",
            default=10.0,
            example="10",
        ),
        Setting(
            "connect_timeout",
            ("DB_CONNECT_TIMEOUT",),
            "seconds to open a connection",
            kind="float",
            default=5.0,
            example="5",
        ),
        Setting(
            "charset",
            ("DB_CHARSET",),
            "connection character set",
            default="utf8mb4",
            example="utf8mb4",
        ),
    ),
    SQLConfigError,
)
VARIABLES: dict[str, tuple[str, ...]] = SETTINGS.variables
"""Field name -> variables that can set it, highest precedence first."""


@dataclass(frozen=True, repr=False)
class SQLConfig(DeclaredConfig):
    """Validated settings of the SQL peer. Frozen; build with ``from_env`` or directly.

    Attributes:
        host: server name or address (default ``"127.0.0.1"``).
        port: TCP port (default 3306).
        user: user name (default ``"root"``).
        password: the password (default ``""``); masked in ``repr``.
        database: the default database (default None: none selected).
        socket: a unix socket path; when set, ``host``/``port`` are not used.
        pool_size: pooled connections, 1-32 (default 5; the pool opens them all on
            first use).
        pool_timeout: seconds a call waits for a free connection (default 10).
        connect_timeout: seconds to open a connection (default 5).
        charset: connection character set (default ``"utf8mb4"``).
    """

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    database: str | None = None
    socket: str | None = None
    pool_size: int = 5
    pool_timeout: float = 10.0
    connect_timeout: float = 5.0
    charset: str = "utf8mb4"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Which variable set each field (for messages)."""

    _settings = SETTINGS

    def _validate(self) -> None:
        if not isinstance(self.host, str) or not self.host or any(c in self.host for c in " /\\@"):
            raise SQLConfigError(
                f"{self._var('host')} must be a host name or address, not {self.host!r}"
            )
        SETTINGS.check(self, self._var, "int", "float")
        if not isinstance(self.user, str) or not self.user:
            raise SQLConfigError(f"{self._var('user')} must name a user")
        if not isinstance(self.password, str):
            raise SQLConfigError(f"{self._var('password')} must be a string")
        if self.database is not None and not _NAME_RE.match(str(self.database)):
            raise SQLConfigError(
                f"{self._var('database')} must be a database name (letters, digits, _ and $, "
                f"at most 64), not {self.database!r}"
            )
        if not isinstance(self.charset, str) or not _NAME_RE.match(self.charset):
            raise SQLConfigError(
                f"{self._var('charset')} must be a character set name, not {self.charset!r}"
            )
        if self.socket is not None and (not isinstance(self.socket, str) or not self.socket):
            raise SQLConfigError(f"{self._var('socket')} must be a unix socket path")

    @property
    def location(self) -> str:
        """Where the server is, for messages: ``user@host:port/database`` (no secret)."""
        where = f"unix:{self.socket}" if self.socket else f"{self.host}:{self.port}"
        return f"{self.user}@{where}/{self.database or ''}"

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for mysql-connector (holds the password: never log it)."""
        kwargs: dict[str, Any] = {
            "user": self.user,
            "password": self.password,
            "charset": self.charset,
            "connection_timeout": max(1, round(self.connect_timeout)),
            "autocommit": True,
            "use_unicode": True,
        }
        if self.database:
            kwargs["database"] = self.database
        if self.socket:
            kwargs["unix_socket"] = self.socket
        else:
            kwargs.update(host=self.host, port=self.port)
        return kwargs


__all__ = ["SETTINGS", "VARIABLES", "SQLConfig"]
