"""The Redis peer on real Sentinel and Cluster topologies: the same facade, cache and ping,
a failover that the same facade survives, and bad settings named in the ping report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.src.libs.core import RuntimeManager
from backend.src.libs.redis import Redis, RedisConfig, RedisConnectionError
from tests.runtime.conftest import Topology

FAILOVER_SECONDS = 20
"""Longest wait for a new primary (sentinels: down-after 1 s; cluster: node timeout 1 s)."""


def sentinel_config(topology: Topology, **overrides: object) -> RedisConfig:
    """The sentinel topology's settings, short timeouts."""
    env = {**topology.settings("REDIS_"), "REDIS_CONNECT_TIMEOUT": "1", "REDIS_SOCKET_TIMEOUT": "2"}
    return RedisConfig.from_env(env, **overrides)


def cluster_config(topology: Topology, **overrides: object) -> RedisConfig:
    """The cluster's settings, short timeouts."""
    env = {**topology.settings("REDIS_"), "REDIS_CONNECT_TIMEOUT": "1", "REDIS_SOCKET_TIMEOUT": "2"}
    return RedisConfig.from_env(env, **overrides)


@pytest.fixture
def runtime_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeManager]:
    """An isolated runtime in a folder without ``.env`` (closed afterwards)."""
    monkeypatch.chdir(tmp_path)
    manager = RuntimeManager(isolated=True)
    yield manager
    manager.close()


def until_success(call: Callable[[], object], ok: Callable[[object], bool]) -> list[float]:
    """Call ``call`` until ``ok(result)``; the seconds each failed call took."""
    failed: list[float] = []
    deadline = time.monotonic() + FAILOVER_SECONDS
    while time.monotonic() < deadline:
        started = time.monotonic()
        if ok(call()):
            return failed
        failed.append(time.monotonic() - started)
        time.sleep(0.1)
    pytest.fail(f"no success within {FAILOVER_SECONDS} s ({len(failed)} failed calls)")


def check_cache_across_keys(redis: Redis, count: int) -> None:
    """Fill a JsonCache namespace with ``count`` keys, find them all with SCAN, delete them."""
    cache = redis.cache("topology", ttl=60)
    assert not isinstance(cache, int)
    cache.invalidate()
    for index in range(count):
        assert cache.set(f"item:{index}", {"n": index}) == redis.success
    assert cache.get("item:7") == {"n": 7}
    keys = redis.iter_keys(cache.key("item:"))
    assert not isinstance(keys, int)
    assert sorted(keys) == sorted(cache.key(f"item:{i}") for i in range(count))
    result = cache.invalidate("item:")
    assert not isinstance(result, int)
    assert (result.deleted, result.scanned) == (count, count)
    assert cache.get("item:7", "gone") == "gone"


def test_sentinel_facade_cache_and_ping(
    redis_sentinel: Topology, runtime_on: RuntimeManager
) -> None:
    """Through the sentinels, the facade writes and reads, the JSON cache scans and
    invalidates its namespace, and the ping report names the primary the sentinels gave."""
    runtime_on.configure(redis=sentinel_config(redis_sentinel))
    redis = runtime_on.redis
    assert redis.set("greeting", "hello", ttl=30) == redis.success
    assert redis.get("greeting") == "hello"
    check_cache_across_keys(redis, 40)
    report = runtime_on.ping("redis")
    assert report.healthy, report.as_dict()
    detail = report["redis"].detail or ""
    assert detail.startswith("primary 127.0.0.1:") and detail.endswith("(sentinel mymaster)")
    assert redis.config.location.startswith("sentinel mymaster via 127.0.0.1:")


def test_sentinel_failover_keeps_the_same_facade(
    redis_sentinel: Topology, runtime_on: RuntimeManager
) -> None:
    """SIGKILL of the primary: calls fail fast (within the retry budget) until the sentinels
    promote the replica, then the same facade of the same runtime succeeds on it."""
    runtime_on.configure(redis=sentinel_config(redis_sentinel))
    redis = runtime_on.redis
    assert redis.set("before", "1") == redis.success
    first = runtime_on.ping("redis")["redis"].detail
    killed = redis_sentinel.run("kill", "primary")
    assert first == f"primary 127.0.0.1:{killed} (sentinel mymaster)"

    failed = until_success(lambda: redis.set("after", "2"), lambda r: r == redis.success)
    # each failed call cost at most the retry budget: max_retries + 1 attempts of at
    # most connect_timeout (1 s) each, plus a backoff capped at 0.5 s
    assert all(seconds < 2 * 1 + 0.5 + 0.5 for seconds in failed), failed
    assert runtime_on.redis is redis
    assert redis.get("after") == "2"
    assert redis.last_error is None
    replica = redis_sentinel.env["REPLICA_PORT"]
    report = runtime_on.ping("redis")
    assert report.healthy and report["redis"].detail == (
        f"primary 127.0.0.1:{replica} (sentinel mymaster)"
    )


def test_cluster_facade_scans_every_node_and_pings(
    redis_cluster: Topology, runtime_on: RuntimeManager
) -> None:
    """On the cluster, keys of one namespace spread over slots (no hash tag) are all
    found by SCAN on every primary and deleted by invalidate; ping reports the cluster."""
    runtime_on.configure(redis=cluster_config(redis_cluster))
    redis = runtime_on.redis
    check_cache_across_keys(redis, 120)
    client = redis.client
    slots = {client.keyslot(f"bucket:topology:item:{i}") for i in range(120)}  # type: ignore[union-attr]
    assert len(slots) > 100  # the namespace is spread: SCAN had to visit every node
    report = runtime_on.ping("redis")
    assert report.healthy, report.as_dict()
    assert report["redis"].detail == "cluster of 3 primaries"


def test_cluster_failover_keeps_the_same_facade(
    redis_cluster: Topology, runtime_on: RuntimeManager
) -> None:
    """SIGKILL of the primary owning a key: the same facade succeeds again once its
    replica is promoted; each failed call in between returned ``error`` quickly."""
    runtime_on.configure(redis=cluster_config(redis_cluster))
    redis = runtime_on.redis
    assert redis.set("failover-key", "before") == redis.success
    owner = redis.client.get_node_from_key("failover-key")  # type: ignore[union-attr]
    assert redis_cluster.run("kill", str(owner.port)) == str(owner.port)

    failed = until_success(lambda: redis.set("failover-key", "after"), lambda r: r == 0)
    assert all(seconds < 2 * 2 + 1 for seconds in failed), failed
    assert runtime_on.redis is redis
    assert redis.get("failover-key") == "after"
    new_owner = redis.client.get_node_from_key("failover-key")  # type: ignore[union-attr]
    assert new_owner.port != owner.port
    assert runtime_on.ping("redis").healthy


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REDIS_SENTINELS": "127.0.0.1:26379,sentinel-b:not-a-port"}, "REDIS_SENTINELS"),
        ({"REDIS_SENTINELS": "127.0.0.1:1,127.0.0.1:2"}, "REDIS_SENTINELS / REDIS_SENTINEL_MASTER"),
        ({"REDIS_CLUSTER": "true", "REDIS_URL": "redis://:pw-Xy9@127.0.0.1:1/0"}, "REDIS_URL"),
        (
            {
                "REDIS_CLUSTER": "true",
                "REDIS_HOST": "127.0.0.1",
                "REDIS_PORT": "1",
                "REDIS_CLUSTER_NODES": "127.0.0.1:2",
            },
            "REDIS_CLUSTER_NODES",
        ),
        ({"REDIS_CLUSTER": "true", "REDIS_DB": "3"}, "REDIS_DB"),
    ],
)
def test_bad_topology_settings_are_named_in_the_ping_report(
    env: dict[str, str],
    named: str,
    runtime_on: RuntimeManager,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad sentinel entry, unreachable sentinels, a cluster with no reachable node,
    and a cluster with a database number: the ping report (and ``last_error``) names the
    setting at fault, without a traceback or a password."""
    env = {**env, "REDIS_CONNECT_TIMEOUT": "1", "REDIS_SENTINEL_PASSWORD": "sent-Xy9"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    report = runtime_on.ping("redis")
    reason = report["redis"].reason or ""
    assert report.healthy is False
    assert named in reason, reason
    assert "Traceback" not in reason and "pw-Xy9" not in reason and "sent-Xy9" not in reason
    redis = runtime_on.redis
    assert redis.get("k") == redis.error
    assert named in str(redis.last_error)


def test_wrong_sentinel_password_is_an_error_without_the_password(
    redis_sentinel: Topology,
) -> None:
    """Sentinels that refuse the sentinel password leave no primary to find: ``error``,
    a connection error naming REDIS_SENTINELS, and neither password in the message."""
    config = sentinel_config(redis_sentinel, sentinel_password="wrong-Xy9")
    redis = Redis(config=config)
    assert redis.set("k", "v") == redis.error
    error = redis.last_error
    assert isinstance(error, RedisConnectionError)
    assert "REDIS_SENTINELS / REDIS_SENTINEL_MASTER" in str(error)
    assert config.password and config.password not in str(error)
    assert "wrong-Xy9" not in str(error)
    assert "wrong-Xy9" not in repr(redis)
    redis.close()


def test_topology_settings_parse_and_mask_the_sentinel_password() -> None:
    """REDIS_SENTINELS (default port 26379, IPv6 in brackets), the master name, and the
    cluster's startup nodes parse into endpoints; repr masks both passwords."""
    config = RedisConfig.from_env(
        {
            "REDIS_SENTINELS": "10.0.0.1:26380, [::1]:26381,sentinel-c",
            "REDIS_SENTINEL_MASTER": "cache",
            "REDIS_SENTINEL_PASSWORD": "sent-Xy9",
            "REDIS_PASSWORD": "data-Xy9",
        }
    )
    assert config.sentinels == (("10.0.0.1", 26380), ("::1", 26381), ("sentinel-c", 26379))
    assert (config.mode, config.sentinel_master) == ("sentinel", "cache")
    assert "sent-Xy9" not in repr(config) and "data-Xy9" not in repr(config)
    cluster = RedisConfig.from_env(
        {"REDIS_CLUSTER": "yes", "REDIS_URL": "rediss://n1:7000", "REDIS_CLUSTER_NODES": "n2:7001"}
    )
    assert cluster.mode == "cluster" and cluster.ssl is True
    assert cluster.startup_nodes == (("n1", 7000), ("n2", 7001))
    assert cluster.location == "cluster n1:7000,n2:7001"
