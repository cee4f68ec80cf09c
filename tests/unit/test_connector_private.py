"""Canaries of the SQL peer's reaches into mysql-connector-python's private names
(``sql/connector_private.py``): each fails naming the attribute a release moved."""

from __future__ import annotations

import importlib

import pytest

from backend.src.libs.sql import connector_private


@pytest.mark.parametrize("reach", sorted(connector_private.REACHES))
def test_the_private_name_still_exists(reach: str) -> None:
    """Every private name ``connector_private`` reaches is where it reaches it."""
    module_name, _, rest = reach.partition(".pooling.")
    module = importlib.import_module(module_name + ".pooling")
    found: object = module
    for part in rest.split("."):
        assert hasattr(found, part), f"{reach} is gone: {connector_private.REACHES[reach]} breaks"
        found = getattr(found, part)


def test_drop_named_pool_closes_and_forgets_it() -> None:
    """A pool in the connector's registry is closed and removed; an unknown name is a
    no-op."""
    from mysql.connector import pooling

    closed: list[bool] = []

    class Pool:
        def _remove_connections(self) -> None:
            closed.append(True)

    pooling._CONNECTION_POOLS["bucket-canary"] = Pool()
    connector_private.drop_named_pool("bucket-canary")
    connector_private.drop_named_pool("bucket-canary")
    assert closed == [True] and "bucket-canary" not in pooling._CONNECTION_POOLS
