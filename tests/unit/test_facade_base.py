"""The facade base (core/facade.py) with an in-memory resource: lazy open, probe, close,
the one replay-after-reconnect rule, and the runtime's ping hook. No server needed."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from backend.src.libs.core.facade import Facade, close_hook, ping_hook
from backend.src.libs.core.services import Unhealthy


class Dropped(ConnectionError):
    """The fake's "connection dropped" error (replayable)."""


class Refused(Exception):
    """The fake's final error (never replayed)."""


class Conn:
    """A fake connection: records opens, probes, releases and reconnects."""

    def __init__(self) -> None:
        self.released = 0
        self.probes = 0
        self.healthy = True


class Fake(Facade[dict[str, str], Conn, Exception]):
    """A minimal facade over ``Conn``."""

    logger_name = "bucket.tests.Fake"

    def __init__(
        self,
        *,
        auto_connect: bool = True,
        config: dict[str, str] | None = None,
        conn: Conn | None = None,
        bad_config: bool = False,
    ) -> None:
        self.opened = 0
        self.reconnects = 0
        self.bad_config = bad_config
        self._init_facade(
            error=84,
            success=0,
            debug=False,
            auto_connect=auto_connect,
            config=config,
            resource=conn,
        )

    def _read_config(self) -> dict[str, str]:
        if self.bad_config:
            raise ValueError("FAKE_PORT must be an integer, not 'x'")
        return {"from": "env"}

    def _open(self) -> Conn:
        self.config  # noqa: B018 - a bad setting fails the open
        self.opened += 1
        return Conn()

    def _release(self, resource: Conn, *, owned: bool) -> None:
        if owned:
            resource.released += 1

    def _probe(self, resource: Conn) -> object:
        resource.probes += 1
        if not resource.healthy:
            raise Refused("probe refused")
        return True

    def _translate(self, exc: Exception, operation: str) -> Exception:
        return exc

    def _is_dropped(self, error: Exception) -> bool:
        return isinstance(error, Dropped)

    def _reconnect(self) -> None:
        self.reconnects += 1

    def run(self, func: Callable[[], object], *, reconnect: bool = True) -> object:
        return self._call("run", func, reconnect=reconnect)


def failing(*errors: Exception) -> tuple[Callable[[], str], list[int]]:
    """A call that raises ``errors`` in turn, then returns "ok"; and its call counter."""
    queue = list(errors)
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if queue:
            raise queue.pop(0)
        return "ok"

    return call, calls


def test_nothing_is_opened_before_first_use_and_threads_open_it_once() -> None:
    """auto_connect=False opens nothing; 16 threads racing on first use open it once."""
    fake = Fake(auto_connect=False)
    assert fake.opened == 0 and fake.is_connected() is False
    barrier = threading.Barrier(16)

    def use() -> None:
        barrier.wait()
        fake.run(lambda: fake._ensure())

    threads = [threading.Thread(target=use) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert fake.opened == 1
    assert fake.is_connected() is True


def test_settings_are_read_on_first_access_unless_given() -> None:
    """config: the one given, else _read_config() once on first access."""
    assert Fake(config={"given": "1"}).config == {"given": "1"}
    fake = Fake(auto_connect=False)
    assert fake._config is None
    assert fake.config == {"from": "env"}


def test_a_bad_setting_is_an_error_from_connect_never_an_exception() -> None:
    """Construction never raises; connect() and health_check() return error/False with the
    variable named in last_error."""
    fake = Fake(bad_config=True)
    assert "FAKE_PORT" in str(fake.last_error)
    assert fake.connect() == 84
    assert "FAKE_PORT" in str(fake.last_error)
    assert fake.health_check() is False
    assert fake.last_latency is None


def test_a_dropped_connection_is_replayed_once_after_reconnecting() -> None:
    """One replayable failure: _reconnect() then one more try, which succeeds."""
    fake = Fake()
    call, calls = failing(Dropped("reset"))
    assert fake.run(call) == "ok"
    assert len(calls) == 2 and fake.reconnects == 1
    assert fake.last_error is None


def test_a_second_drop_is_final_and_other_errors_are_never_replayed() -> None:
    """Two drops: error after exactly two tries; a non-dropped error: one try; and
    reconnect=False: one try even for a drop."""
    fake = Fake()
    call, calls = failing(Dropped("a"), Dropped("b"))
    assert fake.run(call) == 84
    assert len(calls) == 2 and isinstance(fake.last_error, Dropped)
    call, calls = failing(Refused("no"))
    assert fake.run(call) == 84
    assert len(calls) == 1
    call, calls = failing(Dropped("once"))
    assert fake.run(call, reconnect=False) == 84
    assert len(calls) == 1
    assert fake.reconnects == 1


def test_connect_reopens_what_the_facade_opened_and_probes_it() -> None:
    """connect() releases the owned resource, opens a new one and probes it."""
    fake = Fake()
    first = fake._ensure()
    assert fake.connect() == 0
    assert first.released == 1
    assert fake._ensure() is not first and fake._ensure().probes == 1


def test_disconnect_is_idempotent_and_keeps_a_borrowed_resource() -> None:
    """disconnect() twice: success twice; an owned resource is released once and
    forgotten; a borrowed one stays (the facade decides what to release)."""
    fake = Fake()
    conn = fake._ensure()
    assert fake.disconnect() == 0
    assert fake.disconnect() == 0
    assert conn.released == 1 and fake.is_connected() is False
    borrowed = Conn()
    lender = Fake(conn=borrowed)
    assert lender.disconnect() == 0
    assert lender._ensure() is borrowed and borrowed.released == 0


def test_with_block_and_close_disconnect() -> None:
    """Leaving a with block (even by an exception) and close() both disconnect."""
    with pytest.raises(KeyError), Fake() as fake:
        conn = fake._ensure()
        raise KeyError("boom")
    assert conn.released == 1
    again = Fake()
    kept = again._ensure()
    again.close()
    assert kept.released == 1
    assert repr(again) == "<Fake not connected config={'from': 'env'}>"


def test_health_check_records_latency_and_the_ping_hook_reports_last_error() -> None:
    """health_check(): True with a latency; a failing probe: False, last_latency None, and
    the runtime's ping hook raises Unhealthy with last_error's text; close_hook closes."""
    fake = Fake()
    assert fake.health_check() is True
    assert fake.last_latency is not None and fake.last_latency >= 0
    ping_hook(fake)
    fake._ensure().healthy = False
    assert fake.health_check() is False
    assert fake.last_latency is None
    with pytest.raises(Unhealthy, match="probe refused"):
        ping_hook(fake)
    conn = fake._ensure()
    close_hook(fake)
    assert conn.released == 1
