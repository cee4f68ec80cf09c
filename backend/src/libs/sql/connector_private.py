"""The one place the SQL peer reaches into mysql-connector-python's private names, each
because the connector has no public way to do it; ``tests/unit/test_connector_private.py``
has a canary per reach that names the attribute when a release moves it.

- ``close_pool(pool)``: ``MySQLConnectionPool._remove_connections`` closes a pool's idle
  connections (the connector offers no ``close``): a closed facade holds no connection.
- ``drop_named_pool(name)``: ``mysql.connector.pooling._CONNECTION_POOLS``, the module
  registry where ``connect(pool_name=...)`` keeps the pools of a failover list; dropping
  ours (and closing it) is how a closed facade lets them go.

Both fail loudly (``AttributeError`` naming the attribute) if a release removes them:
a silently kept pool would hold connections the caller believes closed.
"""

from __future__ import annotations

from typing import Any

REACHES = {
    "mysql.connector.pooling.MySQLConnectionPool._remove_connections": "close_pool",
    "mysql.connector.pooling._CONNECTION_POOLS": "drop_named_pool",
}
"""Each private name reached, and the function here that reaches it."""


def close_pool(pool: Any) -> None:
    """Close every idle connection of the connector pool ``pool``."""
    pool._remove_connections()


def drop_named_pool(name: str) -> None:
    """Forget the connector's pool registered as ``name`` and close its idle
    connections; nothing when there is none."""
    from mysql.connector import pooling

    pool = pooling._CONNECTION_POOLS.pop(name, None)
    if pool is not None:
        close_pool(pool)


__all__ = ["REACHES", "close_pool", "drop_named_pool"]
