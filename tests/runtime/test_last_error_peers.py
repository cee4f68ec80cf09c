"""``last_error`` per thread and per asyncio task on the Redis and SQL facades (issue 23
item 2): they share ``ReturnCodes`` with ``Bucket``, so 16 threads (and 16 tasks)
sharing one instance, as with the process-wide ``runtime.redis`` / ``runtime.sql``, each
read the error of their own last call. On the machine's Redis and MariaDB."""

from __future__ import annotations

import asyncio

import pytest

from backend.src.libs.redis import Redis, RedisConfig
from backend.src.libs.sql import SQL, SQLConfig
from tests.concurrency.own_errors import (
    THREADS,
    marker,
    tasks_read_their_own,
    threads_read_their_own,
)


@pytest.fixture
def prepared_redis(redis_config: RedisConfig) -> Redis:
    """A facade whose cache prefix holds ``good`` (JSON) and one non-JSON value per
    thread and round (``{prefix}:own_I_R``)."""
    redis = Redis(config=redis_config)
    prefix = redis_config.cache_prefix
    assert redis.set(f"{prefix}:good", "[1]") == redis.success
    for index in range(THREADS):
        for round_ in range(8):
            assert redis.set(f"{prefix}:{marker(index, round_)}", "not json") == redis.success
    return redis


def test_threads_and_tasks_sharing_one_redis_each_read_their_own_error(
    prepared_redis: Redis, redis_config: RedisConfig
) -> None:
    """16 threads, then 16 tasks, share one Redis facade and alternate get_json of a JSON
    value with get_json of a non-JSON value of their own (InvalidJSON naming the key):
    each reads its own call's last_error once all have called."""
    redis, prefix = prepared_redis, redis_config.cache_prefix

    def call(index: int, round_: int, failing: bool) -> object:
        return redis.get_json(f"{prefix}:{marker(index, round_)}" if failing else f"{prefix}:good")

    try:
        assert threads_read_their_own(lambda: redis.last_error, call) == []

        async def in_task(index: int, round_: int, failing: bool) -> object:
            await asyncio.sleep(0)  # the tasks interleave; each call blocks briefly
            return call(index, round_, failing)

        assert asyncio.run(tasks_read_their_own(lambda: redis.last_error, in_task)) == []
    finally:
        redis.delete_prefix(prefix + ":")
        redis.disconnect()


def test_threads_sharing_one_sql_each_read_their_own_error(sql_config: SQLConfig) -> None:
    """16 threads share one SQL facade (its pool of 2) and alternate SELECT 1 with a query of
    a table of their own that does not exist: each reads its own call's last_error (the
    SQLQueryError naming its table) once all have called."""
    sql = SQL(config=sql_config)

    def call(index: int, round_: int, failing: bool) -> object:
        if failing:
            return sql.fetch_one(f"SELECT id FROM {marker(index, round_)}")
        return sql.fetch_one("SELECT 1 AS one")

    try:
        assert threads_read_their_own(lambda: sql.last_error, call) == []
    finally:
        sql.disconnect()
