"""Every setting of the SQL peer (MariaDB / MySQL), read from a mapping and validated.

``SQLConfig.from_env()`` reads ``os.environ`` over a ``.env`` file (tests pass a dict);
``from_env(**overrides)`` win. Invalid values raise ``SQLConfigError`` naming the
variable; ``repr`` masks the password.

TLS takes mysql-connector's own options under ``DB_`` names (``DB_SSL_CA`` is
``ssl_ca``...); ``check_tls`` checks them and their files when the pool opens, before
any connection. ``DB_FAILOVER`` lists the servers tried after ``DB_HOST``/``DB_PORT``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.src.libs.core.declarations import (
    DeclaredConfig,
    DirectOrigins,
    Endpoint,
    Setting,
    SettingSource,
    Table,
    join_endpoints,
)
from backend.src.libs.core.declarations import parse_endpoints as _parse_endpoints
from backend.src.libs.sql.errors import SQLConfigError

_NAME_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


def parse_endpoints(raw: Any, var: str) -> tuple[Endpoint, ...]:
    """``core.declarations.parse_endpoints`` with port 3306 by default and
    ``SQLConfigError`` (names ``var``)."""
    return _parse_endpoints(raw, var, default_port=3306, error=SQLConfigError)


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
            "failover",
            ("DB_FAILOVER",),
            "servers tried in order when DB_HOST does not answer (each new connection "
            "starts again from DB_HOST); they must hold the same data",
            form="`host:port,host:port,...`",
            default=(),
            shown_default="none: DB_HOST only",
            parser=parse_endpoints,
            example="127.0.0.1:3307",
        ),
        Setting(
            "ssl_ca",
            ("DB_SSL_CA",),
            "CA certificate file (PEM): TLS with the server certificate verified",
            form="a readable file",
            shown_default="none: TLS when the server offers it, unverified",
        ),
        Setting(
            "ssl_cert",
            ("DB_SSL_CERT",),
            "client certificate file (PEM), for users created `REQUIRE X509`; needs DB_SSL_KEY",
            form="a readable file",
        ),
        Setting(
            "ssl_key",
            ("DB_SSL_KEY",),
            "the client certificate's private key file (PEM); needs DB_SSL_CERT",
            form="a readable file",
        ),
        Setting(
            "ssl_verify_identity",
            ("DB_SSL_VERIFY_IDENTITY",),
            "also check that the server certificate names the host connected to (DB_HOST "
            "or the DB_FAILOVER entry); needs DB_SSL_CA",
            kind="bool",
            default=False,
            example="false",
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
        failover: servers tried in order after ``host``/``port`` (default ``()``).
        ssl_ca: CA file; when set the server certificate is verified (default None).
        ssl_cert: client certificate file (default None; needs ``ssl_key``).
        ssl_key: its private key file (default None; needs ``ssl_cert``).
        ssl_verify_identity: check the certificate names the host (default False;
            needs ``ssl_ca``).
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
    failover: tuple[Endpoint, ...] = ()
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    ssl_verify_identity: bool = False
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Which variable set each field (for messages)."""
    origins: Mapping[str, SettingSource] = field(default_factory=DirectOrigins, compare=False)
    """Where each setting came from (``provenance``)."""

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
        SETTINGS.check(self, self._var, "bool")
        self._validate_servers()

    def _validate_servers(self) -> None:
        if not isinstance(self.failover, tuple):
            object.__setattr__(  # a list given directly
                self, "failover", parse_endpoints(self.failover, self._var("failover"))
            )
        if self.failover and self.socket:
            raise SQLConfigError(
                f"{self._var('failover')} cannot be used with {self._var('socket')} "
                "(the failover servers are TCP host:port)"
            )

    def check_tls(self) -> None:
        """Check the TLS settings together and their files (called when the pool opens,
        before any connection; reading the settings does not touch the files).

        Raises:
            SQLConfigError: a file that cannot be read, a certificate without its key
                (or the reverse), identity checks without a CA; the message names the
                variable.
        """
        for name in ("ssl_ca", "ssl_cert", "ssl_key"):
            path = getattr(self, name)
            if path is not None and (not isinstance(path, str) or not os.access(path, os.R_OK)):
                raise SQLConfigError(
                    f"{self._var(name)} names no readable file: {path!r} "
                    "(give the path of a PEM file)"
                )
        if (self.ssl_cert is None) != (self.ssl_key is None):
            raise SQLConfigError(
                f"{self._var('ssl_cert')} and {self._var('ssl_key')} go together: "
                "set both or neither"
            )
        if self.ssl_verify_identity and self.ssl_ca is None:
            raise SQLConfigError(
                f"{self._var('ssl_verify_identity')}=true needs {self._var('ssl_ca')} "
                "(the CA that signed the server certificate)"
            )

    @property
    def servers(self) -> tuple[Endpoint, ...]:
        """``(host, port)`` then each ``failover`` server, in the order they are tried."""
        return ((self.host, self.port), *self.failover)

    def connection_hint(self, message: str) -> str:
        """``check ...``: the settings to look at for a connection error ``message``
        (the failover list, the TLS files, the identity check, or host and port)."""
        low = message.lower()
        where = f"{self._name('host')} / {self._name('port')}"
        if "any of the target hosts" in low:
            return (
                f"check {where} and {self._name('failover')}: none of "
                f"{join_endpoints(self.servers)} answered (each is down, or refused the TLS "
                "settings or the credentials)"
            )
        if "certificate" in low or "ssl" in low or "tls" in low:
            if self.ssl_verify_identity and ("mismatch" in low or "not valid for" in low):
                return (
                    f"check {self._name('ssl_verify_identity')}: the server certificate "
                    f"does not name the host connected to ({where})"
                )
            if "verify failed" in low:
                return f"check {self._name('ssl_ca')}: it did not sign the server certificate"
            return (
                f"check {self._name('ssl_ca')} / {self._name('ssl_cert')} / {self._name('ssl_key')}"
            )
        return f"check {where}"

    def server_setting(self, host: str, port: int) -> str:
        """The variable that named ``host:port``: ``DB_HOST`` or ``DB_FAILOVER``."""
        if (host, port) == (self.host, self.port) or not self.failover:
            return self._name("host")
        return self._name("failover")

    @property
    def location(self) -> str:
        """Where the server is, for messages: ``user@host:port/database`` (no secret)."""
        where = f"unix:{self.socket}" if self.socket else f"{self.host}:{self.port}"
        more = f" (failover {join_endpoints(self.failover)})" if self.failover else ""
        return f"{self.user}@{where}/{self.database or ''}{more}"

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
        kwargs.update(self.tls_kwargs())
        return kwargs

    def tls_kwargs(self) -> dict[str, Any]:
        """mysql-connector's TLS arguments (empty: TLS when the server offers it)."""
        kwargs: dict[str, Any] = {}
        if self.ssl_ca:
            kwargs.update(ssl_ca=self.ssl_ca, ssl_verify_cert=True)
            kwargs["ssl_verify_identity"] = self.ssl_verify_identity
        if self.ssl_cert and self.ssl_key:
            kwargs.update(ssl_cert=self.ssl_cert, ssl_key=self.ssl_key)
        return kwargs


__all__ = ["SETTINGS", "VARIABLES", "Endpoint", "SQLConfig", "parse_endpoints"]
