"""The Redis peer's errors, and the one place that translates redis-py exceptions.

::

    RedisError                      root; code and message
    ├── RedisConfigError (ValueError)      a setting is invalid (names the variable)
    ├── RedisConnectionError (ConnectionError)  refused, timed out, dropped
    ├── RedisAuthError (PermissionError)   wrong user or password, ACL refusal
    └── RedisCommandError                  the server refused the command, or bad data

Callers write ``raise translate(exc) from exc``. The cluster health rule is here too,
for the sync and the asyncio probe alike: which nodes to ask (``nodes_to_ask``), which
failure means "ask the next" (``is_unreachable``), what ``CLUSTER INFO`` must say for a
cluster to be healthy and the error that says why it is not (``cluster_down``,
``name_down_nodes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

CLUSTER_SLOTS = 16384
"""Hash slots of a Redis Cluster; each must be served for ``cluster_state:ok``."""


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
    # the cluster's: no reachable startup node, a slot without a node, CLUSTERDOWN
    dropped = (rex.RedisClusterException, rex.ClusterDownError, rex.TimeoutError, TimeoutError)
    if isinstance(exc, (rex.ConnectionError, ConnectionError, *dropped)):
        return RedisConnectionError(text, code=type(exc).__name__)
    if isinstance(exc, rex.ResponseError):
        head = text.split(" ", 1)[0]
        return RedisCommandError(text, code=head if head.isupper() else "ResponseError")
    if isinstance(exc, (rex.DataError, TypeError, ValueError)):
        return RedisCommandError(text, code=type(exc).__name__)
    return RedisError(f"{type(exc).__name__}: {text}", code=type(exc).__name__)


class _Node(Protocol):
    """What the probe reads of a redis-py ``ClusterNode`` (sync or asyncio)."""

    name: str
    server_type: str | None


N = TypeVar("N", bound=_Node)


def nodes_to_ask(default: N | None, nodes: Iterable[N]) -> list[N]:
    """The nodes a cluster probe asks, in turn, until one answers: redis-py's default
    node (None: none yet), then the other primaries, then the replicas, each once (a
    dead default node, kept by redis-py, must not make a shard's death "no answer")."""
    ordered = sorted(nodes, key=lambda node: node.server_type != "primary")
    seen: dict[str, N] = {} if default is None else {default.name: default}
    for node in ordered:
        seen.setdefault(node.name, node)
    return list(seen.values())


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says one node did not answer (refused, timed out, dropped), so
    the probe asks the next node; False for anything else (a refusal of the credentials,
    a whole cluster unreachable), which the probe raises."""
    import redis.exceptions as rex

    if isinstance(exc, (rex.AuthenticationError, rex.AuthorizationError)):
        return False
    return isinstance(exc, (rex.ConnectionError, rex.TimeoutError, ConnectionError, TimeoutError))


def _count(info: Mapping[str, str], field: str) -> int:
    """An integer field of ``CLUSTER INFO`` (0 when missing or not a number)."""
    value = str(info.get(field, "0"))
    return int(value) if value.isdigit() else 0


def cluster_down(info: Mapping[str, str], asked: str) -> RedisConnectionError | None:
    """The cluster health rule: None when ``info`` (the parsed ``CLUSTER INFO`` of the
    node ``asked``) says ``cluster_state:ok``, else the error to report.

    A node says ``ok`` only when every slot is served by a primary it does not flag as
    failed and it is on the majority side: one node's answer is the cluster's verdict.

    Returns:
        None, or a ``RedisConnectionError`` coded ``ClusterDownError`` naming the state,
        the node and the slots not served, e.g. ``cluster_state:fail on 127.0.0.1:7001:
        10923 of 16384 slots served (5461 failed)``.
    """
    state = str(info.get("cluster_state", "unknown"))
    if state == "ok":
        return None
    missing = {
        "failed": _count(info, "cluster_slots_fail"),
        "suspected down": _count(info, "cluster_slots_pfail"),
        "unassigned": CLUSTER_SLOTS - _count(info, "cluster_slots_assigned"),
    }
    why = ", ".join(f"{count} {what}" for what, count in missing.items() if count > 0)
    served = f"{_count(info, 'cluster_slots_ok')} of {CLUSTER_SLOTS} slots served"
    return RedisConnectionError(
        f"cluster_state:{state} on {asked}: {served}" + (f" ({why})" if why else ""),
        code="ClusterDownError",
    )


def _describe_node(name: str, node: Mapping[str, object]) -> str:
    """``host:port (primary, slots 0-5460)`` or ``host:port (replica)``."""
    flags = str(node.get("flags", "")).split(",")
    role = "primary" if "master" in flags else "replica"
    ranges = node.get("slots")
    slots = [
        "-".join(str(bound) for bound in span)
        for span in (ranges if isinstance(ranges, list) else [])
        if isinstance(span, list)
    ]
    return f"{name} ({role}, slots {','.join(slots)})" if slots else f"{name} ({role})"


def name_down_nodes(
    error: RedisConnectionError, nodes: Mapping[str, Mapping[str, object]]
) -> RedisConnectionError:
    """``error`` (from ``cluster_down``) with the nodes that ``nodes`` (redis-py's parsed
    ``CLUSTER NODES`` of the node asked) flags as failed (``fail``) or suspected
    (``fail?``), and the slots each primary held; ``error`` unchanged when none is."""
    down = [
        _describe_node(name, node)
        for name, node in nodes.items()
        if {"fail", "fail?"} & set(str(node.get("flags", "")).split(","))
    ]
    if not down:
        return error
    return RedisConnectionError(f"{error.message}; nodes down: {', '.join(down)}", code=error.code)


__all__ = [
    "CLUSTER_SLOTS",
    "RedisAuthError",
    "RedisCommandError",
    "RedisConfigError",
    "RedisConnectionError",
    "RedisError",
    "cluster_down",
    "is_unreachable",
    "name_down_nodes",
    "nodes_to_ask",
    "translate",
]
