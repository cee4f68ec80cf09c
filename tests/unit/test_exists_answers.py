"""Exists-style answers are safe in ``if`` (issue 23 item 3): ``bucket_exists``,
``file_exists`` and ``get_legal_hold`` answer True or False, and when the server cannot
say they return ``Unknown``: falsy, equal to ``error`` (so ``== bucket.error`` still
tells), with ``last_error`` saying why. No server: a closed port on this machine and a bad
setting."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.src.libs.bucket import (
    AsyncBucket,
    Bucket,
    BucketConfig,
    ConfigError,
    ConnectionFailed,
    StorageError,
)
from backend.src.libs.core.codes import Unknown


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unreachable(engine: str) -> BucketConfig:
    return BucketConfig.from_env(
        {
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
            "AWS_ACCESS_KEY_ID": "key",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "BUCKET_CONNECT_TIMEOUT": "1",
            "BUCKET_MAX_RETRIES": "0",
            "BUCKET_ENGINE": engine,
        }
    )


def _check(answer: object, bucket: Bucket | AsyncBucket, kind: type[StorageError]) -> None:
    assert not answer, f"{answer!r} is truthy"
    assert answer == bucket.error  # still the error code
    assert isinstance(answer, Unknown) and not isinstance(answer, bool)
    assert isinstance(bucket.last_error, kind), repr(bucket.last_error)


QUESTIONS: dict[str, Callable[[Bucket], object]] = {
    "bucket_exists": lambda b: b.bucket_exists("some-bucket"),
    "file_exists": lambda b: b.file_exists("some-bucket", "some/key"),
    "get_legal_hold": lambda b: b.get_legal_hold("some-bucket", "some/key"),
}


@pytest.mark.parametrize("engine", ["boto3", "auto"])
def test_exists_answers_are_falsy_when_the_server_is_unreachable(engine: str) -> None:
    """A closed port: bucket_exists, file_exists and get_legal_hold return a falsy Unknown
    equal to error, and last_error is a ConnectionFailed (the error code 84 was truthy, so
    ``if bucket.file_exists(b, k):`` took the "exists" branch)."""
    bucket = Bucket(config=_unreachable(engine))
    for ask in QUESTIONS.values():
        _check(ask(bucket), bucket, ConnectionFailed)
    bucket.disconnect()


@pytest.mark.parametrize("engine", ["boto3", "auto"])
def test_async_exists_answers_are_falsy_when_the_server_is_unreachable(engine: str) -> None:
    """The same on AsyncBucket, on both routes: the executor (the first call builds the
    store) and the event loop (file_exists once the store is built)."""

    async def run() -> None:
        bucket = AsyncBucket(config=_unreachable(engine))
        _check(await bucket.bucket_exists("some-bucket"), bucket, ConnectionFailed)
        _check(await bucket.file_exists("some-bucket", "k"), bucket, ConnectionFailed)
        _check(await bucket.file_exists("some-bucket", "k"), bucket, ConnectionFailed)
        _check(await bucket.get_legal_hold("some-bucket", "k"), bucket, ConnectionFailed)
        await bucket.aclose()

    asyncio.run(run())


def test_exists_answers_are_falsy_when_a_setting_is_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad setting (the store cannot be built): the answers are a falsy Unknown and
    last_error the ConfigError naming the variable, on Bucket and AsyncBucket."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("BUCKET_PORT", "not-a-port")
    bucket = Bucket(auto_connect=False)
    for ask in QUESTIONS.values():
        _check(ask(bucket), bucket, ConfigError)
    assert "BUCKET_PORT" in str(bucket.last_error)

    async def run() -> None:
        abucket = AsyncBucket()
        _check(await abucket.bucket_exists("some-bucket"), abucket, ConfigError)
        _check(await abucket.file_exists("some-bucket", "k"), abucket, ConfigError)
        _check(await abucket.get_legal_hold("some-bucket", "k"), abucket, ConfigError)
        await abucket.aclose()

    asyncio.run(run())


def test_answers_stay_true_and_false_and_unknown_reads_as_the_code(tmp_path: Path) -> None:
    """On a store that answers, the answers are the bools True and False; Unknown prints
    as the code (logs and JSON unchanged) and says what it is in its repr; a facade with
    its own error code gets that code back."""
    bucket = Bucket(config=BucketConfig(storage_type="local", local_root=str(tmp_path)))
    assert bucket.create_bucket("here") == bucket.success
    assert bucket.upload_stream("here", b"x", "k") == bucket.success
    assert bucket.bucket_exists("here") is True and bucket.bucket_exists("not-here") is False
    assert bucket.file_exists("here", "k") is True and bucket.file_exists("here", "n") is False
    unknown = Unknown(84)
    assert str(unknown) == "84" and f"{unknown}" == "84" and repr(unknown) == "Unknown(84)"
    other = Bucket(error=7, config=_unreachable("boto3"))
    answer = other.file_exists("b", "k")
    assert answer == 7 and not answer and repr(answer) == "Unknown(7)"
