"""The Redis peer: ``Redis`` (facade with return codes), ``JsonCache``, ``RedisConfig``;
``ok`` narrows a result ``X | int`` to ``X`` (``core.results``).

Importing this package does not import redis-py: the client is built on first use.
"""

from backend.src.libs.core.results import ok
from backend.src.libs.redis.cache import JsonCache
from backend.src.libs.redis.client import InvalidateResult, Redis, escape_glob
from backend.src.libs.redis.config import RedisConfig
from backend.src.libs.redis.errors import (
    RedisAuthError,
    RedisCommandError,
    RedisConfigError,
    RedisConnectionError,
    RedisError,
)

__all__ = [
    "InvalidateResult",
    "JsonCache",
    "Redis",
    "RedisAuthError",
    "RedisCommandError",
    "RedisConfig",
    "RedisConfigError",
    "RedisConnectionError",
    "RedisError",
    "escape_glob",
    "ok",
]
