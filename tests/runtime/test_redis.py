"""The Redis peer on real servers: settings, return codes, reconnect, the JSON cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_py

from backend.src.libs.redis import (
    InvalidateResult,
    JsonCache,
    Redis,
    RedisCommandError,
    RedisConfig,
    RedisConfigError,
    RedisConnectionError,
)
from tests.runtime.conftest import OwnServer, redis_config_for


@pytest.fixture
def redis(redis_config: RedisConfig) -> Iterator[Redis]:
    """A facade on the machine's Redis; the test's cache keys are removed afterwards."""
    facade = Redis(config=redis_config)
    yield facade
    facade.delete_prefix(redis_config.cache_prefix + ":")
    facade.disconnect()


def test_settings_come_from_the_url_and_variables_override_it() -> None:
    """REDIS_URL gives defaults, REDIS_* win, explicit overrides win over both."""
    config = RedisConfig.from_env(
        {"REDIS_URL": "rediss://app:p%40ss@cache.internal:6390/4", "REDIS_DB": "2"},
        max_connections=7,
    )
    assert (config.host, config.port, config.db, config.ssl) == ("cache.internal", 6390, 2, True)
    assert (config.username, config.password, config.max_connections) == ("app", "p@ss", 7)
    assert config.sources["db"] == "REDIS_DB"
    assert config.sources["host"] == "REDIS_URL"
    unix = RedisConfig.from_env({"REDIS_URL": "unix:///run/redis.sock?db=3"})
    assert (unix.socket, unix.db) == ("/run/redis.sock", 3)
    assert RedisConfig.from_env({}) == RedisConfig()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"REDIS_PORT": "70000"}, "REDIS_PORT"),
        ({"REDIS_DB": "x"}, "REDIS_DB"),
        ({"REDIS_SOCKET_TIMEOUT": "-1"}, "REDIS_SOCKET_TIMEOUT"),
        ({"REDIS_SSL": "maybe"}, "REDIS_SSL"),
        ({"REDIS_URL": "http://h:1"}, "REDIS_URL"),
        ({"REDIS_CACHE_PREFIX": "a*b"}, "REDIS_CACHE_PREFIX"),
    ],
)
def test_invalid_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    """Every invalid value raises RedisConfigError whose message names the variable."""
    with pytest.raises(RedisConfigError, match=variable):
        RedisConfig.from_env(env)


def test_repr_and_errors_never_show_the_password() -> None:
    """The password is masked in repr/describe and absent from error messages."""
    config = RedisConfig.from_env({"REDIS_URL": "redis://:Sup3rSecret@127.0.0.1:1/0"})
    assert "Sup3rSecret" not in repr(config)
    assert "Sup3rSecret" not in str(config.describe())
    assert "password='***'" in repr(config)
    facade = Redis(config=config.replace(connect_timeout=1))
    assert facade.health_check() is False
    assert "Sup3rSecret" not in str(facade.last_error)
    assert "Sup3rSecret" not in repr(facade)


def test_commands_return_codes_and_data(redis: Redis, redis_config: RedisConfig) -> None:
    """set/get/exists/expire/delete return data or success; last_error is None after."""
    key = f"{redis_config.cache_prefix}:plain"
    assert redis.set(key, "v1", ttl=30) == redis.success
    assert redis.get(key) == "v1"
    assert redis.exists(key) is True
    assert 0 < int(redis.client.ttl(key)) <= 30
    assert redis.expire(key, 100) is True
    assert redis.delete(key) == redis.success
    assert redis.get(key) is None
    assert redis.exists(key) is False
    assert redis.expire(key, 5) is False
    assert redis.last_error is None
    assert redis.set(key, "v", ttl=0) == redis.error
    assert redis.last_error is not None and redis.last_error.code == "InvalidArgument"


def test_an_unreachable_server_returns_error_and_never_raises() -> None:
    """Every call on a closed port returns ``error`` with a RedisConnectionError."""
    facade = Redis(config=RedisConfig(port=1, connect_timeout=1, max_retries=0))
    assert facade.connect() == 84
    assert isinstance(facade.last_error, RedisConnectionError)
    assert facade.get("k") == 84
    assert facade.set("k", "v") == 84
    assert facade.iter_keys("k") == 84
    assert facade.is_connected() is False
    assert facade.disconnect() == 0
    assert facade.disconnect() == 0  # idempotent


def test_reconnects_after_its_own_server_restarts(own_redis: OwnServer) -> None:
    """After a restart of the server (on its own port), the first call succeeds again;
    while it is down, calls return ``error`` with a connection error."""
    facade = Redis(config=redis_config_for(own_redis.port))
    assert facade.connect() == facade.success
    assert facade.set("k", "before") == facade.success

    own_redis.stop()
    assert facade.get("k") == facade.error
    assert isinstance(facade.last_error, RedisConnectionError)
    assert facade.health_check() is False

    own_redis.start()
    assert facade.set("k", "after") == facade.success  # first call after the restart
    assert facade.get("k") == "after"
    assert facade.last_error is None
    assert facade.is_connected() is True
    facade.disconnect()


def test_reconnects_when_the_server_restarts_between_two_calls(own_redis: OwnServer) -> None:
    """A pooled connection killed by a restart is rebuilt within the same call."""
    facade = Redis(config=redis_config_for(own_redis.port))
    assert facade.set("k", "1") == facade.success
    own_redis.restart()
    assert facade.get("k") is None  # fresh server (no persistence), answered on first try
    assert facade.last_error is None


def test_json_cache_round_trips_values_with_ttl(redis: Redis, redis_config: RedisConfig) -> None:
    """The cache stores JSON under ``prefix:namespace:name`` with the default or given TTL."""
    cache = redis.cache("users", ttl=60)
    value: dict[str, Any] = {"id": 7, "tags": ["a", "é"], "nested": {"ok": True}, "n": None}
    assert cache.key("7") == f"{redis_config.cache_prefix}:users:7"
    assert cache.set("7", value) == redis.success
    assert cache.get("7") == value
    assert redis.get(cache.key("7")) == '{"id":7,"tags":["a","é"],"nested":{"ok":true},"n":null}'
    assert 0 < int(redis.client.ttl(cache.key("7"))) <= 60
    assert cache.set("short", [1], ttl=5) == redis.success
    assert 0 < int(redis.client.ttl(cache.key("short"))) <= 5
    forever = JsonCache(redis, "users", ttl=0)
    assert forever.set("keep", 1) == redis.success
    assert int(redis.client.ttl(cache.key("keep"))) == -1
    assert cache.delete("7", "short") == redis.success
    assert cache.get("7", "missing") == "missing"


def test_json_cache_misses_on_bad_data_and_refuses_unencodable_values(redis: Redis) -> None:
    """Invalid JSON in Redis reads as the default; a value JSON cannot hold returns error."""
    cache = redis.cache("bad")
    assert redis.set(cache.key("x"), "{not json") == redis.success
    assert cache.get("x", 0) == 0
    assert redis.last_error is not None and redis.last_error.code == "InvalidJSON"
    assert cache.set("y", {1, 2}) == redis.error
    assert cache.set("z", float("nan")) == redis.error
    assert redis.exists(cache.key("y")) is False
    calls: list[int] = []
    assert cache.get_or_set("lazy", lambda: calls.append(1) or 42) == 42
    assert cache.get_or_set("lazy", lambda: calls.append(1) or 43) == 42
    assert calls == [1]


def test_cache_with_an_invalid_namespace_returns_error_instead_of_raising(redis: Redis) -> None:
    """cache() never raises: a bad namespace or ttl is error + an InvalidArgument
    last_error naming it; building JsonCache directly still raises ValueError."""
    assert redis.cache("a:b") == redis.error
    assert isinstance(redis.last_error, RedisCommandError)
    assert redis.last_error.code == "InvalidArgument"
    assert "namespace" in redis.last_error.message
    assert redis.cache("ok", ttl=-1) == redis.error
    assert redis.last_error is not None and "ttl" in redis.last_error.message
    assert isinstance(redis.cache("ok"), JsonCache)
    assert redis.last_error is None
    with pytest.raises(ValueError, match="namespace"):
        JsonCache(redis, "a b")


def test_json_round_trip_through_the_facade(redis: Redis, redis_config: RedisConfig) -> None:
    """get_json/set_json (what JsonCache uses): compact JSON, default on a miss and on
    invalid JSON, error for an unencodable value or a bad ttl, never an exception."""
    key = redis_config.cache_prefix + ":json:k"
    assert redis.set_json(key, {"a": [1, "é"]}, ttl=30) == redis.success
    assert redis.get(key) == '{"a":[1,"é"]}'
    assert redis.get_json(key) == {"a": [1, "é"]}
    assert redis.get_json(key + ":missing", "d") == "d"
    assert redis.set(key, "nope") == redis.success
    assert redis.get_json(key, 0) == 0
    assert redis.last_error is not None and redis.last_error.code == "InvalidJSON"
    assert redis.set_json(key, {1}) == redis.error
    assert redis.set_json(key, 1, ttl=0) == redis.error
    assert redis.last_error is not None and "ttl" in redis.last_error.message


class NoKeysRedis(redis_py.Redis):
    """A redis-py client whose KEYS command fails the test."""

    def keys(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("KEYS must never be used")


def test_invalidate_by_prefix_uses_scan_and_spares_other_names(redis_config: RedisConfig) -> None:
    """invalidate(prefix) deletes only that namespace's matching names, in SCAN batches
    (more keys than one batch), never calling KEYS; glob characters match literally."""
    client = NoKeysRedis(**redis_config.client_kwargs())
    facade = Redis(config=redis_config, client=client)
    users = facade.cache("users")
    other = facade.cache("orders")
    pipe = client.pipeline(transaction=False)
    for i in range(1200):
        pipe.set(users.key(f"page:{i}"), "1", ex=60)
    pipe.execute()
    assert users.set("profile:1", {"a": 1}) == facade.success
    assert users.set("page*", "star") == facade.success
    assert other.set("page:1", 1) == facade.success

    result = users.invalidate("page:")
    assert result == InvalidateResult(deleted=1200, scanned=1200)
    assert users.get("profile:1") == {"a": 1}
    assert users.get("page*") == "star"
    assert other.get("page:1") == 1

    assert users.invalidate("page*") == InvalidateResult(deleted=1, scanned=1)
    everything = users.invalidate()
    assert isinstance(everything, InvalidateResult) and everything.deleted == 1
    assert sorted(k for k in facade.iter_keys(redis_config.cache_prefix + ":")) == [  # type: ignore[union-attr]
        other.key("page:1")
    ]
    assert facade.delete_prefix("") == facade.error
    assert other.invalidate() == InvalidateResult(deleted=1, scanned=1)
    client.close()
