"""The bad-input corpus of tests/badinput, through AsyncBucket: every case returns the
facade's error (never raises), with a last_error of the right class whose message holds
the expected words, no traceback in the output, and nothing written (Ceph and the local
store)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.src.libs.bucket import AsyncBucket
from tests.badinput.conftest import Stage, _base, stage  # noqa: F401 (fixtures)
from tests.badinput.test_corpus import FACADE, Case

pytestmark = pytest.mark.integration


class _Blocking:
    """Calls AsyncBucket's coroutines to completion on one loop, so the corpus's sync
    lambdas (``b.create_bucket(...)``) drive the async facade unchanged. Each call runs
    in a task of its own (``run_until_complete``), and ``last_error`` is per task: the
    task reads it after its call and hands it back with the result."""

    def __init__(self, bucket: AsyncBucket, loop: asyncio.AbstractEventLoop) -> None:
        self._bucket = bucket
        self._loop = loop
        self.error = bucket.error
        self.last_error: object = None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._bucket, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result, self.last_error = self._loop.run_until_complete(
                _called(self._bucket, method(*args, **kwargs))
            )
            return result

        return call


async def _called(bucket: AsyncBucket, call: Any) -> tuple[Any, object]:
    """The awaited result of ``call`` (a coroutine or an ``AsyncListing``) and the
    ``last_error`` the calling task sees after it."""
    result = await call
    return result, bucket.last_error


@pytest.fixture
def blocking(stage: Stage) -> Iterator[tuple[_Blocking, Stage]]:  # noqa: F811
    """An AsyncBucket on the stage's store, driven from a private loop."""
    loop = asyncio.new_event_loop()
    bucket = AsyncBucket(store=stage.store)
    yield _Blocking(bucket, loop), stage
    loop.run_until_complete(bucket.aclose())
    loop.close()


@pytest.mark.parametrize("case", FACADE, ids=[c.id for c in FACADE])
def test_async_facade_refuses(
    case: Case,
    blocking: tuple[_Blocking, Stage],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """AsyncBucket returns error for the case, last_error of the case's class naming what
    is wrong, no traceback printed or logged, nothing changed in the bucket or files."""
    facade, where = blocking
    before = where.snapshot()
    with caplog.at_level(logging.DEBUG):
        result = case.call(facade, where)
    error, words = case.error, case.words
    if where.kind == "local" and case.local_error is not None:
        error, words = case.local_error, case.local_words or ()
    assert result == facade.error
    assert isinstance(facade.last_error, error), repr(facade.last_error)
    message = str(facade.last_error)
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text
    assert where.snapshot() == before
