"""The Redis peer's errors, and the one place that translates redis-py exceptions.

::

    RedisError                      root; code and message
    ├── RedisConfigError (ValueError)      a setting is invalid (names the variable)
    ├── RedisConnectionError (ConnectionError)  refused, timed out, dropped
    ├── RedisAuthError (PermissionError)   wrong user or password, ACL refusal
    └── RedisCommandError                  the server refused the command, or bad data

Callers write ``raise translate(exc) from exc``.
"""

from __future__ import annotations


class RedisError(Exception):
    """Root of the Redis peer's errors.

    Attributes:
        message: what went wrong, for a person (never a secret).
        code: a short tag (``ConnectionError``, ``WRONGTYPE``...).
    """

    default_code = "RedisError"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class RedisConfigError(RedisError, ValueError):
    """A setting is missing or invalid; the message names the variable."""

    default_code = "ConfigError"


class RedisConnectionError(RedisError, ConnectionError):
    """The server cannot be reached, timed out, or dropped the connection."""

    default_code = "ConnectionError"


class RedisAuthError(RedisError, PermissionError):
    """The server refused the credentials or the command for this user."""

    default_code = "AuthenticationError"


class RedisCommandError(RedisError):
    """The server refused the command (wrong type, syntax), or the data is invalid."""

    default_code = "CommandError"


def translate(exc: BaseException) -> RedisError:
    """A ``RedisError`` for any exception raised by redis-py (or ours, unchanged).

    Sentinel's ``MasterNotFoundError`` and the cluster's "no reachable node",
    ``SlotNotCoveredError`` and ``CLUSTERDOWN`` are connection errors: a failover heals them.
    """
    if isinstance(exc, RedisError):
        return exc
    import redis.exceptions as rex

    text = str(exc) or type(exc).__name__
    if type(exc).__name__ == "MasterNotFoundError":  # drop the repr of every sentinel
        text = text.split(" : ", 1)[0] + ": no sentinel answered with a primary"
    elif type(exc).__name__ == "RedisClusterException" and "reachable node" in text:
        text = text.split(":", 1)[0] + ": no startup node answered"
    if isinstance(exc, (rex.AuthenticationError, rex.AuthorizationError, rex.NoPermissionError)):
        return RedisAuthError(text, code=type(exc).__name__)
    if isinstance(exc, (rex.ConnectionError, rex.TimeoutError, TimeoutError, ConnectionError)):
        return RedisConnectionError(text, code=type(exc).__name__)
    if isinstance(exc, (rex.RedisClusterException, rex.ClusterDownError)):
        # no reachable startup node, a slot without a node, CLUSTERDOWN during a failover
        return RedisConnectionError(text, code=type(exc).__name__)
    if isinstance(exc, rex.ResponseError):
        head = text.split(" ", 1)[0]
        return RedisCommandError(text, code=head if head.isupper() else "ResponseError")
    if isinstance(exc, (rex.DataError, TypeError, ValueError)):
        return RedisCommandError(text, code=type(exc).__name__)
    return RedisError(f"{type(exc).__name__}: {text}", code=type(exc).__name__)


__all__ = [
    "RedisAuthError",
    "RedisCommandError",
    "RedisConfigError",
    "RedisConnectionError",
    "RedisError",
    "translate",
]
