"""Every setting of the Redis peer, read from a mapping and validated.

``RedisConfig.from_env()`` reads ``os.environ`` over a ``.env`` file (tests pass a
dict). ``REDIS_URL`` (``redis://[user:password@]host:port/db``, ``rediss://`` for TLS,
``unix:///path/redis.sock?db=N``) gives the defaults; a ``REDIS_*`` variable also set
wins over its part of the URL; ``from_env(**overrides)`` win over everything. Invalid
values raise ``RedisConfigError`` naming the variable; ``repr`` masks the passwords.

Three topologies (``RedisConfig.mode``):

- ``single`` (default): one server, ``REDIS_URL`` or ``REDIS_HOST``/``REDIS_PORT``;
- ``sentinel``: ``REDIS_SENTINELS=host:port,...`` name the primary of
  ``REDIS_SENTINEL_MASTER``; ``REDIS_SENTINEL_PASSWORD`` is the sentinels' own;
- ``cluster``: ``REDIS_CLUSTER=true``; the startup nodes are ``REDIS_HOST``/``REDIS_PORT``
  (or a plain ``REDIS_URL``) plus ``REDIS_CLUSTER_NODES`` (which alone also turns
  Cluster mode on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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
from backend.src.libs.redis.errors import RedisConfigError

URL_VARIABLE = "REDIS_URL"


def parse_endpoints(raw: Any, var: str, *, default_port: int) -> tuple[Endpoint, ...]:
    """``core.declarations.parse_endpoints`` with ``RedisConfigError`` (names ``var``)."""
    return _parse_endpoints(raw, var, default_port=default_port, error=RedisConfigError)


SETTINGS = Table(
    "redis",
    (
        Setting(
            "url",
            (URL_VARIABLE,),
            "gives the defaults of the settings below; any `REDIS_*` variable set wins over "
            "its part (may hold the password)",
            form="`redis://[user:password@]host:6379/0`, `rediss://` (TLS), "
            "`unix:///path/redis.sock?db=0`",
            secret=True,
            example="redis://127.0.0.1:6379/0",
        ),
        Setting(
            "host",
            ("REDIS_HOST",),
            "server name or address",
            default="127.0.0.1",
            example="127.0.0.1",
        ),
        Setting(
            "port",
            ("REDIS_PORT",),
            "TCP port",
            kind="int",
            default=6379,
            low=1,
            high=65535,
            example="6379",
        ),
        Setting("socket", ("REDIS_SOCKET",), "a unix socket path; wins over host and port"),
        Setting(
            "username",
            ("REDIS_USERNAME",),
            "ACL user name",
            shown_default="none: the `default` user",
        ),
        Setting(
            "password",
            ("REDIS_PASSWORD",),
            "the password (docker compose starts Redis with `--requirepass` when it is set)",
            secret=True,
        ),
        Setting(
            "db",
            ("REDIS_DB",),
            "database number",
            kind="int",
            default=0,
            low=0,
            high=1023,
            example="0",
        ),
        Setting(
            "ssl",
            ("REDIS_SSL",),
            "connect with TLS (`rediss://` URLs turn it on)",
            kind="bool",
            default=False,
            example="false",
        ),
        Setting(
            "connect_timeout",
            ("REDIS_CONNECT_TIMEOUT",),
            "seconds to open a connection",
            kind="float",
            default=5.0,
            example="5",
        ),
        Setting(
            "socket_timeout",
            ("REDIS_SOCKET_TIMEOUT", "REDIS_TIMEOUT"),
            "seconds to wait for an answer",
            kind="float",
            default=5.0,
            example="5",
        ),
        Setting(
            "max_connections",
            ("REDIS_MAX_CONNECTIONS",),
            "connection pool size",
            kind="int",
            default=50,
            low=1,
            high=100_000,
            example="50",
        ),
        Setting(
            "max_retries",
            ("REDIS_MAX_RETRIES",),
            "retries of a command after a connection error, each on a fresh connection (in "
            "Sentinel mode after asking the sentinels again, in Cluster mode after reloading "
            "the slot map): the budget a failover costs one call",
            kind="int",
            default=1,
            low=0,
            high=20,
            example="1",
        ),
        Setting(
            "sentinels",
            ("REDIS_SENTINELS",),
            "Sentinel mode: the sentinels to ask for the primary (host and port ignored)",
            form="`host:port,host:port,...` (IPv6 as `[::1]:26379`)",
            default=(),
            shown_default="none: no Sentinel",
            parser=lambda raw, var: parse_endpoints(raw, var, default_port=26379),
            example="127.0.0.1:26379",
        ),
        Setting(
            "sentinel_master",
            ("REDIS_SENTINEL_MASTER",),
            "Sentinel mode: the name the sentinels monitor the primary under",
            default="mymaster",
            example="mymaster",
        ),
        Setting(
            "sentinel_password",
            ("REDIS_SENTINEL_PASSWORD",),
            "Sentinel mode: the sentinels' own password (`requirepass` of sentinel.conf); "
            "the data nodes use `REDIS_PASSWORD`",
            secret=True,
        ),
        Setting(
            "cluster",
            ("REDIS_CLUSTER",),
            "Cluster mode (redis-py's `RedisCluster`): host and port (or `REDIS_URL`) are "
            "the first startup node; `REDIS_DB` must be 0",
            kind="bool",
            default=False,
            example="false",
        ),
        Setting(
            "cluster_nodes",
            ("REDIS_CLUSTER_NODES",),
            "Cluster mode (setting it turns Cluster mode on): more startup nodes, so a "
            "client starts while some are down",
            form="`host:port,host:port,...`",
            default=(),
            shown_default="none: host and port only",
            parser=lambda raw, var: parse_endpoints(raw, var, default_port=6379),
            example="127.0.0.1:7001,127.0.0.1:7002",
        ),
        Setting(
            "cache_prefix",
            ("REDIS_CACHE_PREFIX",),
            "first part of every `JsonCache` key",
            form="no spaces or glob characters (`*?[]\\`)",
            default="bucket",
            example="bucket",
        ),
        Setting(
            "cache_ttl",
            ("REDIS_CACHE_TTL",),
            "default seconds a cached value lives; `0` = no expiry",
            kind="int",
            default=300,
            low=0,
            high=10**9,
            example="300",
        ),
    ),
    RedisConfigError,
)
VARIABLES: dict[str, tuple[str, ...]] = {
    name: names for name, names in SETTINGS.variables.items() if name != "url"
}
"""Field name -> variables that can set it, highest precedence first (``REDIS_URL``,
which gives the defaults of several fields, is ``URL_VARIABLE``)."""


@dataclass(frozen=True, repr=False)
class RedisConfig(DeclaredConfig):
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
        max_retries: retries of a command after a connection error, each on a fresh
            connection (default 1): the budget a failover costs one call.
        sentinels: Sentinel mode when set: ``(host, port)`` of each sentinel (default ``()``).
        sentinel_master: the name the sentinels monitor (default ``"mymaster"``).
        sentinel_password: the sentinels' own password (default None); masked.
        cluster: Cluster mode (default False); ``host``/``port`` are a startup node.
        cluster_nodes: more startup nodes of the cluster (default ``()``); setting
            them turns Cluster mode on.
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
    sentinels: tuple[Endpoint, ...] = ()
    sentinel_master: str = "mymaster"
    sentinel_password: str | None = None
    cluster: bool = False
    cluster_nodes: tuple[Endpoint, ...] = ()
    cache_prefix: str = "bucket"
    cache_ttl: int = 300
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Which variable set each field (for messages)."""
    origins: Mapping[str, SettingSource] = field(default_factory=DirectOrigins, compare=False)
    """Where each setting came from (``provenance``)."""

    _settings = SETTINGS

    @classmethod
    def _read(cls, env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The variables read, over the parts of ``REDIS_URL`` (which give defaults)."""
        values, sources = SETTINGS.read(env)
        url = values.pop("url", None)
        sources.pop("url", None)
        if url is None:
            return values, sources
        from_url = _parse_url(url)  # its parts first, the variables win over them
        values = {**from_url, **values}
        sources = {**dict.fromkeys(from_url, URL_VARIABLE), **sources}
        return values, sources

    def _validate(self) -> None:
        if not isinstance(self.host, str) or not self.host or any(c in self.host for c in " /\\@"):
            raise RedisConfigError(
                f"{self._var('host')} must be a host name or address, not {self.host!r}"
            )
        SETTINGS.check(self, self._var, "int", "float")
        if self.socket is not None and (not isinstance(self.socket, str) or not self.socket):
            raise RedisConfigError(f"{self._var('socket')} must be a unix socket path")
        SETTINGS.check(self, self._var, "bool")
        self._validate_topology()
        if not isinstance(self.cache_prefix, str) or any(c in self.cache_prefix for c in "*?[]\\ "):
            raise RedisConfigError(
                f"{self._var('cache_prefix')} must not contain spaces or glob characters "
                f"(*?[]\\), not {self.cache_prefix!r}"
            )

    def _validate_topology(self) -> None:
        """Sentinel and Cluster settings that cannot go together (messages name both)."""
        for name in ("sentinels", "cluster_nodes"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                parsed = parse_endpoints(value, self._var(name), default_port=6379)
                object.__setattr__(self, name, parsed)  # a list given directly
        if not isinstance(self.sentinel_master, str) or not self.sentinel_master.strip():
            raise RedisConfigError(f"{self._var('sentinel_master')} must name the primary")
        for other, value in (("cluster", "=true"), ("cluster_nodes", "")):
            if self.sentinels and getattr(self, other):
                raise RedisConfigError(
                    f"{self._var('sentinels')} and {self._var(other)}{value} cannot be used "
                    "together: a deployment is Sentinel or Cluster"
                )
        if self.mode != "single" and self.socket:
            raise RedisConfigError(
                f"{self._var('socket')} cannot be used in {self.mode} mode (TCP nodes only)"
            )
        if self.mode == "cluster" and self.db != 0:
            raise RedisConfigError(
                f"{self._var('db')} must be 0 in Cluster mode (a cluster has one database), "
                f"not {self.db}"
            )

    @property
    def mode(self) -> str:
        """``"single"``, ``"sentinel"`` (``sentinels`` set) or ``"cluster"``."""
        if self.sentinels:
            return "sentinel"
        return "cluster" if self.cluster or self.cluster_nodes else "single"

    @property
    def location(self) -> str:
        """Where the server is, for messages (no secret): ``host:port/db``, the socket,
        ``sentinel mymaster via h:p,h:p/db`` or ``cluster h:p,h:p``."""
        if self.sentinels:
            return f"sentinel {self.sentinel_master} via {join_endpoints(self.sentinels)}/{self.db}"
        if self.mode == "cluster":
            return f"cluster {join_endpoints(self.startup_nodes)}"
        where = f"unix://{self.socket}" if self.socket else f"{self.host}:{self.port}"
        return f"{where}/{self.db}"

    @property
    def startup_nodes(self) -> tuple[Endpoint, ...]:
        """Cluster mode: ``(host, port)`` then ``cluster_nodes`` (without repeats)."""
        return tuple(dict.fromkeys(((self.host, self.port), *self.cluster_nodes)))

    def setting_at_fault(self) -> str:
        """The variables that say where the server is, for connection error messages:
        ``REDIS_SENTINELS`` / ``REDIS_SENTINEL_MASTER``, ``REDIS_CLUSTER_NODES``..."""
        if self.sentinels:
            return f"{self._name('sentinels')} / {self._name('sentinel_master')}"
        parts = [self._name("host"), self._name("port")]
        if self.mode == "cluster" and self.cluster_nodes:
            parts.append(self._name("cluster_nodes"))
        return " / ".join(dict.fromkeys(parts))

    def sentinel_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the connections to the sentinels (holds their password).

        One attempt per sentinel and lookup (redis-py's default retry costs ~8 s a dead
        sentinel): the command's own retry (``max_retries``) asks them again.
        """
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return {
            "retry": Retry(NoBackoff(), 0),
            "password": self.sentinel_password,
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.connect_timeout,
            "ssl": self.ssl,
            "decode_responses": True,
        }

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
        if self.mode == "cluster":
            kwargs.pop("db")  # RedisCluster refuses it (always 0)
            kwargs["ssl"] = self.ssl
        elif self.mode == "sentinel":
            kwargs["ssl"] = self.ssl  # host and port come from the sentinels
        elif self.socket:
            kwargs["unix_socket_path"] = self.socket
        else:
            kwargs.update(host=self.host, port=self.port, ssl=self.ssl)
        return kwargs


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


__all__ = ["SETTINGS", "URL_VARIABLE", "VARIABLES", "Endpoint", "RedisConfig", "parse_endpoints"]
