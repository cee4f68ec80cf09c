"""``JsonCache``: a small namespaced JSON cache on the ``Redis`` facade.

Keys are ``{prefix}:{namespace}:{name}``; values are JSON and expire after their TTL.
A cache never raises: a failed read (server down, a value that is not JSON) is a miss;
writes return ``success`` / ``error``; the facade's ``last_error`` says why. It uses the
facade's public methods only. ``Redis.cache(namespace)`` is the never-raising way to
build one; building ``JsonCache`` directly raises ``ValueError`` for bad arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from backend.src.libs.redis.config import RedisConfig


@dataclass(frozen=True)
class InvalidateResult:
    """What a prefix deletion did.

    Attributes:
        deleted: keys deleted.
        scanned: keys that matched the prefix while scanning.
    """

    deleted: int
    scanned: int


class JsonStore(Protocol):
    """The calls of the ``Redis`` facade a ``JsonCache`` makes (so this module sits below
    the facade, which builds caches with ``Redis.cache``)."""

    @property
    def config(self) -> RedisConfig: ...

    def get_json(self, key: str, default: Any = None) -> Any: ...

    def set_json(self, key: str, value: Any, *, ttl: int | None = None) -> int: ...

    def delete(self, key: str, *keys: str) -> int: ...

    def delete_prefix(self, prefix: str, *, batch: int = 500) -> InvalidateResult | int: ...


class JsonCache:
    """JSON values under one namespace of a ``Redis`` facade.

    Args:
        redis: the facade to use (shares its connection pool and codes).
        namespace: the second part of every key; no ``:``, spaces or glob characters.
        ttl: default seconds a value lives (default ``config.cache_ttl``, 300; 0 = never).
        prefix: the first part of every key (default ``config.cache_prefix``, ``bucket``).

    Raises:
        ValueError: an invalid namespace, prefix or ttl.

    Thread-safety: as the facade (shareable by threads).
    """

    def __init__(
        self,
        redis: JsonStore,
        namespace: str,
        *,
        ttl: int | None = None,
        prefix: str | None = None,
    ) -> None:
        for label, value in (("namespace", namespace), ("prefix", prefix)):
            if value is not None and (
                not isinstance(value, str) or not value or any(c in value for c in ":*?[]\\ ")
            ):
                raise ValueError(
                    f"{label} must be a non-empty name without ':', spaces or glob "
                    f"characters, not {value!r}"
                )
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            raise ValueError(f"ttl must be an integer >= 0, not {ttl!r}")
        self.redis = redis
        self.namespace = namespace
        self._ttl = ttl
        self._prefix = prefix

    @property
    def prefix(self) -> str:
        """The first part of every key (``REDIS_CACHE_PREFIX`` unless given)."""
        if self._prefix is None:
            try:
                self._prefix = self.redis.config.cache_prefix
            except Exception:  # a bad setting surfaces from the first command instead
                return "bucket"
        return self._prefix

    @property
    def ttl(self) -> int:
        """The default lifetime in seconds (0 = never expires)."""
        if self._ttl is None:
            try:
                return self.redis.config.cache_ttl
            except Exception:
                return 300
        return self._ttl

    def key(self, name: str) -> str:
        """The Redis key of ``name``: ``{prefix}:{namespace}:{name}``."""
        return f"{self.prefix}:{self.namespace}:{name}"

    def get(self, name: str, default: Any = None) -> Any:
        """The decoded value of ``name``, or ``default`` on a miss or a failure (a value
        that is not JSON included: ``last_error`` says why)."""
        return self.redis.get_json(self.key(name), default)

    def set(self, name: str, value: Any, *, ttl: int | None = None) -> int:
        """Store ``value`` (JSON-encodable) for ``ttl`` seconds (default: the cache's).

        Returns ``success``, or ``error`` (a value JSON cannot encode is refused).
        """
        lifetime = self.ttl if ttl is None else ttl
        return self.redis.set_json(self.key(name), value, ttl=lifetime or None)

    def delete(self, name: str, *names: str) -> int:
        """Delete names (``success`` also when they were not cached), or ``error``."""
        return self.redis.delete(self.key(name), *(self.key(n) for n in names))

    def get_or_set(self, name: str, factory: Callable[[], Any], *, ttl: int | None = None) -> Any:
        """The cached value, or ``factory()`` stored and returned on a miss.

        ``factory`` exceptions propagate (nothing is stored); a failed store still
        returns the computed value.
        """
        missing = object()
        value = self.get(name, missing)
        if value is not missing:
            return value
        value = factory()
        self.set(name, value, ttl=ttl)
        return value

    def invalidate(self, prefix: str = "") -> InvalidateResult | int:
        """Delete the namespace's names starting with ``prefix`` (all by default).

        Uses SCAN and UNLINK, never KEYS. Returns an ``InvalidateResult`` or ``error``.
        """
        return self.redis.delete_prefix(f"{self.prefix}:{self.namespace}:{prefix}")

    def __repr__(self) -> str:
        return f"<JsonCache {self.prefix}:{self.namespace} ttl={self.ttl}>"


__all__ = ["JsonCache"]
