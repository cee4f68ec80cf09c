"""The Redis peer on real Sentinel and Cluster topologies: the same facade, cache and ping,
a failover that the same facade survives, a cluster with a whole shard down reported down
by every probe, and bad settings named in the ping report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.src.libs.core import PingReport, RuntimeManager
from backend.src.libs.redis import Redis, RedisConfig, RedisConnectionError
from tests.runtime.conftest import Topology, wait_until

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


def cluster_state(port: int) -> str:
    """The ``cluster_state`` one node reports (``unreachable`` when it does not answer)."""
    import redis as redis_py

    try:
        with redis_py.Redis(port=port, socket_timeout=1, decode_responses=True) as node:
            return str(node.cluster("INFO")["cluster_state"])
    except redis_py.RedisError:
        return "unreachable"


def aping_redis(runtime: RuntimeManager) -> PingReport:
    """``await runtime.aping("redis", "aredis")`` in a new event loop (whose asyncio
    client is closed before the loop ends)."""

    async def scenario() -> PingReport:
        report = await runtime.aping("redis", "aredis")
        await runtime.get("aredis").aclose()
        return report

    return asyncio.run(scenario())


@pytest.mark.parametrize("shard", ["probed", "other"])
def test_cluster_with_a_whole_shard_down_is_reported_down(
    shard: str, own_redis_cluster: Topology, runtime_on: RuntimeManager
) -> None:
    """A whole shard killed (a primary and its replica): once the nodes say
    ``cluster_state:fail``, ``health_check()`` is False, ``connect()`` returns ``error``,
    and ``ping()`` / ``aping()`` report the facade and ``aredis`` unhealthy, the reason
    and ``last_error`` naming ``cluster_state:fail`` and the dead nodes, whether the shard
    held the node the probe asks (``probed``) or another one. Before the kill all of them
    were healthy (``cluster of 3 primaries``). The cluster is this test's own."""
    runtime_on.configure(redis=cluster_config(own_redis_cluster))
    redis = runtime_on.redis
    assert redis.health_check(), redis.last_error
    report = runtime_on.ping("redis")
    assert report.healthy and report["redis"].detail == "cluster of 3 primaries", report.as_dict()
    report = aping_redis(runtime_on)
    assert report.healthy, report.as_dict()

    client = redis.client
    probed = client.get_default_node()  # type: ignore[union-attr]
    others = [node for node in client.get_primaries() if node.name != probed.name]  # type: ignore[union-attr]
    primary = probed if shard == "probed" else others[0]
    nodes = client.cluster_nodes()  # type: ignore[union-attr]
    primary_id = nodes[primary.name]["node_id"]
    replica = next(name for name, node in nodes.items() if node["master_id"] == primary_id)
    killed = [primary.name, replica]
    for name in killed:
        port = name.rsplit(":", 1)[1]
        assert own_redis_cluster.run("kill", port) == port
    alive = [int(name.rsplit(":", 1)[1]) for name in nodes if name not in killed]
    wait_until(
        lambda: all(cluster_state(port) == "fail" for port in alive),
        FAILOVER_SECONDS,
        "cluster_state:fail on every live node",
    )

    assert redis.health_check() is False
    error = redis.last_error
    assert isinstance(error, RedisConnectionError) and error.code == "ClusterDownError", error
    # the shard's primary is named; its replica too once the survivors flag it failed
    # (that can take one more cluster-node-timeout than cluster_state:fail)
    assert "cluster_state:fail" in str(error) and primary.name in str(error), error
    assert redis.connect() == redis.error
    assert "cluster_state:fail" in str(redis.last_error)
    report = runtime_on.ping("redis")
    assert not report.healthy and "cluster_state:fail" in (report["redis"].reason or "")
    report = aping_redis(runtime_on)
    assert not report.healthy, report.as_dict()
    for name in ("redis", "aredis"):
        assert "cluster_state:fail" in (report[name].reason or ""), report.as_dict()


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
