"""RuntimeManager: the container API, thread safety, async initialisers, close and ping."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from typing import Any, ClassVar

import pytest

from backend.src.libs.bucket import Bucket
from backend.src.libs.core import (
    RI,
    CircularDependency,
    RuntimeManager,
    ServiceNotFound,
)
from backend.src.libs.redis import Redis, RedisConnectionError
from backend.src.libs.sql import SQL, SQLConfig
from tests.conftest import config_for
from tests.runtime.conftest import OwnServer, redis_config_for, sql_config_for
from tests.servers import S3Server


class Counted:
    """A service that counts its constructions and is slow to build."""

    built = 0
    lock = threading.Lock()

    def __init__(self, delay: float = 0.05) -> None:
        with Counted.lock:
            Counted.built += 1
        time.sleep(delay)


def test_32_threads_racing_on_get_build_exactly_one_instance(runtime: RuntimeManager) -> None:
    """32 threads calling get() at once all receive the same, single instance."""
    Counted.built = 0
    barrier = threading.Barrier(32)
    seen: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            seen.append(id(runtime.get(Counted, auto_register=True)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert len(seen) == 32
    assert len(set(seen)) == 1
    assert Counted.built == 1
    assert runtime.names == ("Counted",)


def test_every_runtime_manager_shares_the_process_registry() -> None:
    """RuntimeManager() and RI see the same services; an isolated one does not."""
    try:
        first = RuntimeManager().set(Counted, delay=0)
        assert RI.get(Counted) is first
        assert RuntimeManager().get("Counted") is first
        assert RuntimeManager(isolated=True).exists(Counted) is False
    finally:
        report = RI.reset()
    assert report.closed == ("Counted",)
    assert RI.exists(Counted) is False


def test_second_set_is_a_no_op_returning_the_first_instance(runtime: RuntimeManager) -> None:
    """set() builds at once; a second set() ignores its arguments and builds nothing."""
    Counted.built = 0
    first = runtime.set(Counted, delay=0)
    second = runtime.set(Counted, delay=1)
    assert first is second
    assert Counted.built == 1
    assert runtime.get_if_exists(Counted) is first
    assert runtime.exists("Counted") is True


def test_get_of_an_unknown_service_raises_and_registers_nothing(runtime: RuntimeManager) -> None:
    """get() without auto_register names the missing service; lookups never build."""
    with pytest.raises(ServiceNotFound, match="Counted"):
        runtime.get(Counted)
    with pytest.raises(ServiceNotFound, match="mailer"):
        runtime.get("mailer")
    assert runtime.get_if_exists(Counted) is None
    assert runtime.exists(Counted) is False
    assert runtime.names == ()


def test_register_builds_lazily_on_first_get(runtime: RuntimeManager) -> None:
    """register() declares a factory; the first get() builds it, once."""
    Counted.built = 0
    runtime.register(Counted, delay=0)
    assert Counted.built == 0
    assert runtime.exists(Counted) is False
    service = runtime.get("Counted")
    assert isinstance(service, Counted)
    assert runtime.get(Counted) is service
    assert Counted.built == 1


class FlakyService:
    """Raises in its constructor the first time, works afterwards."""

    attempts = 0

    def __init__(self) -> None:
        FlakyService.attempts += 1
        if FlakyService.attempts == 1:
            raise OSError("first construction fails")


def test_constructor_failure_leaves_nothing_registered_and_next_get_retries(
    runtime: RuntimeManager,
) -> None:
    """A constructor that raises registers nothing; the next get() builds again."""
    FlakyService.attempts = 0
    with pytest.raises(OSError, match="first construction fails"):
        runtime.get(FlakyService, auto_register=True)
    assert runtime.exists(FlakyService) is False
    assert runtime.names == ()
    service = runtime.get(FlakyService, auto_register=True)
    assert isinstance(service, FlakyService)
    assert FlakyService.attempts == 2
    assert runtime.names == ("FlakyService",)


class AsyncService:
    """A service with an async initialiser, recording the loop state it ran in."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.ready = False
        self.closed = False
        self.init_thread: int | None = None

    async def ainit(self) -> None:
        await asyncio.sleep(0.01)
        self.init_thread = threading.get_ident()
        if self.fail:
            raise RuntimeError("ainit failed")
        self.ready = True

    def close(self) -> None:
        self.closed = True


def test_async_initialiser_runs_outside_an_event_loop(runtime: RuntimeManager) -> None:
    """Outside a loop, get() awaits ainit() before returning the service."""
    service = runtime.get(AsyncService, auto_register=True)
    assert service.ready is True
    assert service.init_thread == threading.get_ident()


def test_async_initialiser_runs_inside_a_running_event_loop(runtime: RuntimeManager) -> None:
    """Inside a running loop, both get() and await aget() finish ainit() and return."""

    async def main() -> tuple[Any, Any]:
        from_sync = runtime.get(AsyncService, auto_register=True)
        from_async = await runtime.aget(AsyncService)
        return from_sync, from_async

    from_sync, from_async = asyncio.run(main())
    assert from_sync is from_async
    assert from_sync.ready is True
    assert from_sync.init_thread != threading.get_ident()  # helper thread, own loop


def test_aget_builds_without_blocking_the_loop(runtime: RuntimeManager) -> None:
    """aget() builds in a worker thread: the loop keeps running other tasks meanwhile."""
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    built_at: list[float] = []

    async def main() -> Counted:
        task = asyncio.create_task(ticker())
        service = await runtime.aget(Counted, 0.3, auto_register=True)
        built_at.append(time.monotonic())
        await task
        return service

    Counted.built = 0
    service = asyncio.run(main())
    assert isinstance(service, Counted)
    assert Counted.built == 1
    assert len(ticks) == 5
    assert sum(t < built_at[0] for t in ticks) == 5  # the loop ticked while it was built


def test_failing_async_initialiser_registers_nothing_and_closes_the_half_built_service(
    runtime: RuntimeManager,
) -> None:
    """ainit() raising: get() raises it, nothing is registered, the instance is closed."""
    built: list[AsyncService] = []

    class Tracked:
        def __new__(cls) -> Any:
            service = AsyncService(fail=True)
            built.append(service)
            return service

    with pytest.raises(RuntimeError, match="ainit failed"):
        runtime.get(Tracked, auto_register=True)
    assert runtime.exists(Tracked) is False
    assert len(built) == 1
    assert built[0].closed is True


class Recorder:
    """Closes into a shared list; ``fail`` makes close() raise."""

    order: ClassVar[list[str]] = []

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.close_calls = 0

    def close(self) -> None:
        self.close_calls += 1
        Recorder.order.append(self.name)
        if self.fail:
            raise ConnectionError(f"{self.name} refused to close")


def test_close_runs_in_reverse_order_and_one_failure_does_not_stop_the_others(
    runtime: RuntimeManager, caplog: pytest.LogCaptureFixture
) -> None:
    """close(): reverse creation order, a failing peer is logged, the others still close;
    a second close() does nothing and never raises."""
    Recorder.order = []
    runtime.register(Recorder, "a", name="a")
    runtime.register(Recorder, "b", fail=True, name="b")
    runtime.register(Recorder, "c", name="c")
    services = [runtime.get(n) for n in ("a", "b", "c")]
    with caplog.at_level(logging.ERROR, logger="bucket.runtime"):
        report = runtime.close()
    assert Recorder.order == ["c", "b", "a"]
    assert [s.close_calls for s in services] == [1, 1, 1]
    assert report.closed == ("c", "a")
    assert report.failed == (("b", "ConnectionError: b refused to close"),)
    assert report.ok is False
    assert len([r for r in caplog.records if "closing b failed" in r.getMessage()]) == 1
    assert runtime.names == ()
    again = runtime.close()
    assert again.closed == () and again.failed == ()
    assert [s.close_calls for s in services] == [1, 1, 1]


def test_context_manager_closes_every_service(runtime: RuntimeManager) -> None:
    """Leaving ``with runtime`` closes what it built, even when the block raised."""
    Recorder.order = []
    with pytest.raises(KeyError), runtime:
        runtime.set(Recorder, "x")
        raise KeyError("boom")
    assert Recorder.order == ["x"]
    assert runtime.names == ()


def test_a_constructor_asking_for_itself_raises_instead_of_deadlocking(
    runtime: RuntimeManager,
) -> None:
    """A service whose constructor gets itself raises CircularDependency."""

    class Loop:
        def __init__(self) -> None:
            runtime.get(Loop, auto_register=True)

    with pytest.raises(CircularDependency, match="Loop"):
        runtime.get(Loop, auto_register=True)
    assert runtime.exists(Loop) is False


def test_building_a_runtime_and_importing_it_touch_no_driver_and_no_network() -> None:
    """Importing core imports neither boto3, redis nor mysql; building RuntimeManager and
    configuring unreachable peers makes no connection."""
    code = (
        "import sys\n"
        "from backend.src.libs.core import RuntimeManager, RI\n"
        "from backend.src.libs.redis import RedisConfig\n"
        "from backend.src.libs.sql import SQLConfig\n"
        "rt = RuntimeManager()\n"
        "rt.configure(redis=RedisConfig(port=1), sql=SQLConfig(port=1))\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'redis', 'mysql'))\n"
        "print(loaded, rt.names)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[] ()"


def test_peers_are_built_lazily_once_and_match_get(runtime: RuntimeManager) -> None:
    """runtime.redis/sql are built on first access, once, and are what get() returns."""
    runtime.configure(redis=redis_config_for(), sql=sql_config_for())
    assert runtime.names == ()
    redis = runtime.redis
    assert isinstance(redis, Redis)
    assert runtime.redis is redis
    assert runtime.get(Redis) is redis
    assert runtime.get("redis") is redis
    assert isinstance(runtime.sql, SQL)
    assert runtime.names == ("Redis", "SQL")
    with pytest.raises(RuntimeError, match="already built"):
        runtime.configure(redis=redis_config_for())


def test_ping_names_a_stopped_redis_while_bucket_and_sql_stay_healthy(
    runtime: RuntimeManager, s3_server: S3Server, own_redis: OwnServer
) -> None:
    """ping() reports each peer: after its Redis stops, only Redis fails, with a reason."""
    runtime.configure(
        bucket=config_for(s3_server),
        redis=redis_config_for(own_redis.port),
        sql=sql_config_for(),
    )
    before = runtime.ping("bucket", "redis", "sql")
    assert before.healthy is True, before.as_dict()
    assert before.names == ("Bucket", "Redis", "SQL")
    assert isinstance(runtime.bucket, Bucket)

    own_redis.stop()
    after = runtime.ping()
    assert after.names == ("Bucket", "Redis", "SQL")
    assert after.failing == ("Redis",)
    assert after.healthy is False
    assert after["bucket"].healthy is True
    assert after["sql"].healthy is True
    reason = after["redis"].reason
    assert reason is not None and str(own_redis.port) in reason
    assert isinstance(runtime.redis.last_error, RedisConnectionError)
    assert after.as_dict()["services"]["Redis"]["healthy"] is False

    own_redis.start()
    assert runtime.ping().failing == ()


def test_ping_reports_a_peer_whose_settings_are_invalid(runtime: RuntimeManager) -> None:
    """A peer that cannot even be configured shows up in the report with the variable."""
    runtime.configure(sql=SQLConfig(port=1, connect_timeout=1))
    report = runtime.ping("sql")
    assert report.failing == ("SQL",)
    assert report["SQL"].reason is not None
    assert runtime.sql.health_check() is False


def _twin(module: str) -> type:
    """A class named ``Twin`` defined in ``module`` (as if imported from there)."""
    return type("Twin", (), {"__module__": module, "__qualname__": "Twin"})


def test_two_classes_of_one_name_in_two_modules_do_not_collide(runtime: RuntimeManager) -> None:
    """Services are keyed by type: two ``Twin`` classes from two modules are two services;
    the second is shown module-qualified, and both names find their own service."""
    first_cls, second_cls = _twin("app.mail"), _twin("app.billing")
    first = runtime.set(first_cls)
    second = runtime.set(second_cls)
    assert first is not second
    assert isinstance(first, first_cls) and isinstance(second, second_cls)
    assert runtime.get(first_cls) is first
    assert runtime.get(second_cls) is second
    assert runtime.names == ("Twin", "app.billing.Twin")
    assert runtime.get("Twin") is first
    assert runtime.get("app.billing.Twin") is second
    assert runtime.get("app.mail.Twin") is first
    assert runtime.set(second_cls) is second  # still a no-op, not a clash
    assert runtime.close().closed == ("app.billing.Twin", "Twin")


class Pinged:
    """A service without probe or close methods of its own."""

    def __init__(self) -> None:
        self.healthy = True
        self.closed = False


def test_register_factory_uses_its_ping_and_close_hooks(runtime: RuntimeManager) -> None:
    """register_factory(type, factory, ping=, on_close=): built lazily, probed and closed
    through the hooks; an Unhealthy message is the report's reason as it is."""
    from backend.src.libs.core.services import Unhealthy

    def ping(service: Pinged) -> None:
        if not service.healthy:
            raise Unhealthy("mail relay refuses connections")

    def on_close(service: Pinged) -> None:
        service.closed = True

    runtime.register_factory(Pinged, Pinged, ping=ping, on_close=on_close, aliases=("mail",))
    assert runtime.names == ()
    service = runtime.get("mail")
    assert runtime.get(Pinged) is service
    assert runtime.ping().healthy is True
    service.healthy = False
    report = runtime.ping()
    assert report.failing == ("Pinged",)
    assert report["mail"].reason == "mail relay refuses connections"
    assert runtime.close().closed == ("Pinged",)
    assert service.closed is True


class AsyncProbed:
    """A service without hooks whose own ``health_check()`` is a coroutine."""

    error = 84

    def __init__(
        self, answer: object = None, *, fails: bool = False, last: str | None = None
    ) -> None:
        self.answer = answer
        self.fails = fails
        self.last_error = last

    async def health_check(self) -> object:
        if self.fails:
            raise RuntimeError("probe raised")
        return self.answer


def test_aping_judges_a_coroutine_probe_as_ping_does(runtime: RuntimeManager) -> None:
    """await aping() gives a service whose health_check() is a coroutine the verdict
    ping() gives it: None, False or the error code is unhealthy (its last_error the
    reason), a raise is reported as the exception, an answer carries no detail."""
    runtime.register_value("none", AsyncProbed(None))
    runtime.register_value("code", AsyncProbed(84, last="refused"))
    runtime.register_value("raises", AsyncProbed(fails=True, last="stale"))
    runtime.register_value("text", AsyncProbed("up"))

    def verdicts(report: Any) -> dict[str, tuple[bool, str | None, str | None]]:
        return {s.name: (s.healthy, s.reason, s.detail) for s in report.services}

    expected = {
        "none": (False, "health_check() failed", None),
        "code": (False, "refused", None),
        "raises": (False, "RuntimeError: probe raised", None),
        "text": (True, None, None),
    }
    assert verdicts(runtime.ping()) == expected
    assert verdicts(asyncio.run(runtime.aping())) == expected


def test_register_value_registers_a_ready_instance_once(runtime: RuntimeManager) -> None:
    """register_value() makes the instance the service at once; a second one while it is
    built raises instead of silently replacing it."""
    ready = Pinged()
    runtime.register_value(Pinged, ready)
    assert runtime.get(Pinged) is ready
    assert runtime.names == ("Pinged",)
    with pytest.raises(RuntimeError, match="already built"):
        runtime.register_value(Pinged, Pinged())


def test_configure_refuses_a_value_that_is_neither_settings_nor_the_peer(
    runtime: RuntimeManager,
) -> None:
    """configure() checks values against the type each peer declares, not class names."""
    with pytest.raises(TypeError, match="RedisConfig or a Redis"):
        runtime.configure(redis=SQLConfig(port=1))  # type: ignore[arg-type]
    assert runtime.names == ()


def test_the_runtime_imports_a_peer_only_when_it_is_asked_for() -> None:
    """The runtime module imports no peer package; runtime.redis loads the Redis peer's
    declaration only (neither the bucket nor the SQL package)."""
    code = (
        "import sys\n"
        "from backend.src.libs.core.runtime import RuntimeManager\n"
        "def peers():\n"
        "    return sorted(m.split('.')[3] for m in sys.modules if m.startswith('backend.src.libs.')"
        " and m.split('.')[3] in ('bucket', 'redis', 'sql'))\n"
        "rt = RuntimeManager(isolated=True)\n"
        "before = peers()\n"
        "r = rt.redis\n"
        "print(before, sorted(set(peers())), type(r).__name__, rt.names)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[] ['redis'] Redis ('Redis',)"
