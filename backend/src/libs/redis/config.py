"""Every setting of the Redis peer, read from a mapping and validated.

``RedisConfig.from_env()`` reads ``os.environ`` over a ``.env`` file; tests pass a
dict. ``REDIS_URL`` (``redis://[user:password@]host:port/db``, ``rediss://`` for TLS,
``unix:///path/redis.sock?db=N``) gives the defaults; any ``REDIS_*`` variable that is
also set wins over the matching part of the URL; explicit ``from_env(**overrides)``
win over everything. Invalid values raise ``RedisConfigError`` naming the variable.
``repr`` masks the password; nothing is read at import time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from backend.src.libs.core.settings import (
    first_set,
    mask,
    parse_bool,
    parse_float,
    parse_int,
    read_environ,
)
from backend.src.libs.redis.errors import RedisConfigError

# field name -> variables that can set it, highest precedence first
VARIABLES: dict[str, tuple[str, ...]] = {
    "host": ("REDIS_HOST",),
    "port": ("REDIS_PORT",),
    "socket": ("REDIS_SOCKET",),
    "username": ("REDIS_USERNAME",),
    "password": ("REDIS_PASSWORD",),
    "db": ("REDIS_DB",),
    "ssl": ("REDIS_SSL",),
    "connect_timeout": ("REDIS_CONNECT_TIMEOUT",),
    "socket_timeout": ("REDIS_SOCKET_TIMEOUT", "REDIS_TIMEOUT"),
    "max_connections": ("REDIS_MAX_CONNECTIONS",),
    "max_retries": ("REDIS_MAX_RETRIES",),
    "cache_prefix": ("REDIS_CACHE_PREFIX",),
    "cache_ttl": ("REDIS_CACHE_TTL",),
}
URL_VARIABLE = "REDIS_URL"
_SECRET_FIELDS = ("password",)


@dataclass(frozen=True, repr=False)
class RedisConfig:
    """Validated settings of the Redis peer. Frozen; build with ``from_env`` or directly.

    Attributes:
        host: server name or address (default ``"127.0.0.1"``).
        port: TCP port (default 6379).
        socket: a unix socket path; when set, ``host``/``port`` are not used.
        username: ACL user name (default None: the ``default`` user).
        password: the password (default None); masked in ``repr``.
        db: database number 0-1023 (default 0).
        ssl: connect with TLS (default False; ``rediss://`` URLs turn it on).
        connect_timeout: seconds to open a connection (default 5).
        socket_timeout: seconds to wait for an answer (default 5).
        max_connections: connection pool size (default 50).
        max_retries: redis-py retries of a command after a connection error, each on
            a fresh connection (default 1: a dropped connection is rebuilt once).
        cache_prefix: first part of every ``JsonCache`` key (default ``"bucket"``).
        cache_ttl: default seconds a cached value lives (default 300; 0 = no expiry).
    """

    host: str = "127.0.0.1"
    port: int = 6379
    socket: str | None = None
    username: str | None = None
    password: str | None = None
    db: int = 0
    ssl: bool = False
    connect_timeout: float = 5.0
    socket_timeout: float = 5.0
    max_connections: int = 50
    max_retries: int = 1
    cache_prefix: str = "bucket"
    cache_ttl: int = 300
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Which variable set each field (for messages)."""

    def __post_init__(self) -> None:
        self._validate()

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: str | os.PathLike[str] | None = ".env",
        **overrides: Any,
    ) -> RedisConfig:
        """Read the settings from a mapping.

        Args:
            environ: the variables to read. Default: ``os.environ`` over ``env_file``.
            env_file: the ``.env`` file read when ``environ`` is None (default ``.env``;
                missing is fine; None skips it).
            **overrides: explicit field values; they win over every variable.

        Raises:
            RedisConfigError: a value is invalid or unknown; the message names it.
        """
        env = read_environ(environ, env_file)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        url = first_set(env, (URL_VARIABLE,))
        if url is not None:
            for name, value in _parse_url(url[1]).items():
                values[name] = value
                sources[name] = URL_VARIABLE
        for name, variables in VARIABLES.items():
            found = first_set(env, variables)
            if found is not None:
                sources[name], values[name] = found
        known = {f.name for f in dataclasses.fields(cls)} - {"sources"}
        for name, value in overrides.items():
            if name not in known:
                raise RedisConfigError(f"unknown setting {name!r}")
            if value is not None:
                values[name] = value
                sources[name] = "explicit"

        def var(name: str) -> str:
            return sources.get(name, VARIABLES[name][0])

        kwargs: dict[str, Any] = {"sources": dict(sources)}
        for name, value in values.items():
            if name == "port":
                kwargs[name] = parse_int(value, var(name), RedisConfigError, low=1, high=65535)
            elif name == "db":
                kwargs[name] = parse_int(value, var(name), RedisConfigError, low=0, high=1023)
            elif name == "max_connections":
                kwargs[name] = parse_int(value, var(name), RedisConfigError, low=1, high=100_000)
            elif name == "max_retries":
                kwargs[name] = parse_int(value, var(name), RedisConfigError, low=0, high=20)
            elif name == "cache_ttl":
                kwargs[name] = parse_int(value, var(name), RedisConfigError, low=0, high=10**9)
            elif name in ("connect_timeout", "socket_timeout"):
                kwargs[name] = parse_float(value, var(name), RedisConfigError)
            elif name == "ssl":
                kwargs[name] = parse_bool(value, var(name), RedisConfigError)
            else:
                kwargs[name] = value
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise RedisConfigError(f"invalid setting: {exc}") from exc

    def _var(self, name: str) -> str:
        return self.sources.get(name) or VARIABLES[name][0]

    def _validate(self) -> None:
        if not isinstance(self.host, str) or not self.host or any(c in self.host for c in " /\\@"):
            raise RedisConfigError(
                f"{self._var('host')} must be a host name or address, not {self.host!r}"
            )
        for name, low, high in (
            ("port", 1, 65535),
            ("db", 0, 1023),
            ("max_connections", 1, 100_000),
            ("max_retries", 0, 20),
            ("cache_ttl", 0, 10**9),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise RedisConfigError(
                    f"{self._var(name)} must be an integer between {low} and {high}, not {value!r}"
                )
        for name in ("connect_timeout", "socket_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise RedisConfigError(
                    f"{self._var(name)} must be a positive number of seconds, not {value!r}"
                )
        if self.socket is not None and (not isinstance(self.socket, str) or not self.socket):
            raise RedisConfigError(f"{self._var('socket')} must be a unix socket path")
        if not isinstance(self.ssl, bool):
            raise RedisConfigError(f"{self._var('ssl')} must be true or false, not {self.ssl!r}")
        if not isinstance(self.cache_prefix, str) or any(c in self.cache_prefix for c in "*?[]\\ "):
            raise RedisConfigError(
                f"{self._var('cache_prefix')} must not contain spaces or glob characters "
                f"(*?[]\\), not {self.cache_prefix!r}"
            )

    def replace(self, **changes: Any) -> RedisConfig:
        """A copy with ``changes`` applied (validated again)."""
        sources = dict(self.sources)
        sources.update({name: "explicit" for name in changes})
        return dataclasses.replace(self, sources=sources, **changes)

    @property
    def location(self) -> str:
        """Where the server is, for messages: ``host:port/db`` or the socket (no secret)."""
        where = f"unix://{self.socket}" if self.socket else f"{self.host}:{self.port}"
        return f"{where}/{self.db}"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``redis.Redis`` (holds the password: never log it)."""
        kwargs: dict[str, Any] = {
            "db": self.db,
            "username": self.username,
            "password": self.password,
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.connect_timeout,
            "max_connections": self.max_connections,
            "decode_responses": True,
        }
        if self.socket:
            kwargs["unix_socket_path"] = self.socket
        else:
            kwargs.update(host=self.host, port=self.port, ssl=self.ssl)
        return kwargs

    def describe(self) -> dict[str, Any]:
        """The settings as a dict for logs; the password masked."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name != "sources":
                value = getattr(self, f.name)
                out[f.name] = mask(value) if f.name in _SECRET_FIELDS else value
        return out

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            parts.append(f"{f.name}={mask(value) if f.name in _SECRET_FIELDS else repr(value)}")
        return f"RedisConfig({', '.join(parts)})"

    __str__ = __repr__


def _parse_url(url: str) -> dict[str, Any]:
    """Fields from a ``redis://``, ``rediss://`` or ``unix://`` URL (messages hide it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RedisConfigError(f"{URL_VARIABLE} is not a valid URL") from None
    scheme = parts.scheme.lower()
    out: dict[str, Any] = {}
    query = parse_qs(parts.query)
    if scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise RedisConfigError(
                f"{URL_VARIABLE} must look like redis://host:6379/0 (no host found)"
            )
        out["host"] = parts.hostname
        if port is not None:
            out["port"] = port
        path = parts.path.strip("/")
        if path:
            out["db"] = path
        if scheme == "rediss":
            out["ssl"] = True
    elif scheme == "unix":
        if not parts.path:
            raise RedisConfigError(f"{URL_VARIABLE} must look like unix:///path/redis.sock")
        out["socket"] = parts.path
    else:
        raise RedisConfigError(
            f"{URL_VARIABLE} must start with redis://, rediss:// or unix://, not {scheme or '(none)'}://"
        )
    if "db" in query:
        out["db"] = query["db"][0]
    if parts.username:
        out["username"] = unquote(parts.username)
    if parts.password is not None:
        out["password"] = unquote(parts.password)
    return out


__all__ = ["URL_VARIABLE", "VARIABLES", "RedisConfig"]
