"""The Bucket facade's logic with an injected store: codes, last_error, reconnect, no raise."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from backend.src.libs.bucket import (
    Bucket,
    BucketConfig,
    ConnectionFailed,
    InvalidArgument,
    ObjectInfo,
    ObjectNotFound,
)


class ScriptedStore:
    """A store whose methods fail as scripted; records calls and closes."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.closed = 0
        self.failures: dict[str, list[Exception]] = {}

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        queue = self.failures.get(name)
        if queue:
            raise queue.pop(0)

    def close(self) -> None:
        self.closed += 1

    def ping(self) -> float:
        self._maybe_fail("ping")
        return 0.001

    def get_object(self, bucket: str, key: str, **kwargs: Any) -> bytes:
        self._maybe_fail("get_object")
        return b"payload"

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        self._maybe_fail("head_object")
        return ObjectInfo(bucket=bucket, key=key, size=7, etag="e")

    def put_object(self, bucket: str, key: str, data: Any, **kwargs: Any) -> None:
        self._maybe_fail("put_object")
        if hasattr(data, "read"):
            data.read()

    def delete_object(self, bucket: str, key: str) -> None:
        self._maybe_fail("delete_object")


@pytest.fixture
def scripted() -> ScriptedStore:
    return ScriptedStore()


def test_success_returns_data_and_clears_last_error(scripted: ScriptedStore) -> None:
    """A good call returns its data and resets last_error to None."""
    bucket = Bucket(store=scripted)
    scripted.failures["get_object"] = [ObjectNotFound("gone")]
    assert bucket.download_stream("b", "k") == 84
    assert isinstance(bucket.last_error, ObjectNotFound)
    assert bucket.download_stream("b", "k") == b"payload"
    assert bucket.last_error is None


def test_custom_codes_are_used(scripted: ScriptedStore) -> None:
    """success and error codes come from the constructor."""
    bucket = Bucket(error=1, success=100, store=scripted)
    assert bucket.delete_file("b", "k") == 100
    scripted.failures["delete_object"] = [InvalidArgument("bad key")]
    assert bucket.delete_file("b", "k") == 1


def test_dropped_connection_is_rebuilt_once_per_call(scripted: ScriptedStore) -> None:
    """One ConnectionFailed: the store is closed and the call retried once, successfully."""
    bucket = Bucket(store=scripted)
    scripted.failures["get_object"] = [ConnectionFailed("reset")]
    assert bucket.download_stream("b", "k") == b"payload"
    assert scripted.calls.count("get_object") == 2
    assert scripted.closed == 1


def test_second_connection_failure_returns_error(scripted: ScriptedStore) -> None:
    """Two ConnectionFailed in one call: error, not a loop; exactly two attempts."""
    bucket = Bucket(store=scripted)
    scripted.failures["get_object"] = [ConnectionFailed("a"), ConnectionFailed("b")]
    assert bucket.download_stream("b", "k") == 84
    assert scripted.calls.count("get_object") == 2
    assert isinstance(bucket.last_error, ConnectionFailed)


def test_non_replayable_stream_is_not_retried(scripted: ScriptedStore) -> None:
    """An upload from a one-shot (non-seekable) stream is not replayed after a reconnect."""

    class OneShot:
        def read(self, n: int = -1) -> bytes:
            return b""

        def seekable(self) -> bool:
            return False

    bucket = Bucket(store=scripted)
    scripted.failures["put_object"] = [ConnectionFailed("reset")]
    assert bucket.upload_stream("b", OneShot(), "k") == 84  # type: ignore[arg-type]
    assert scripted.calls.count("put_object") == 1


def test_unexpected_exception_never_escapes(scripted: ScriptedStore) -> None:
    """Even a bug below (a plain RuntimeError) becomes error + last_error, not an exception."""
    bucket = Bucket(store=scripted)
    scripted.failures["head_object"] = [RuntimeError("boom")]
    assert bucket.get_bucket_file("b", "k") == 84
    assert bucket.last_error is not None and "boom" in bucket.last_error.message


def test_failure_is_logged_once(scripted: ScriptedStore, caplog: pytest.LogCaptureFixture) -> None:
    """A failed call writes one WARNING record on the facade's logger (a NotFound outside
    the reads, here a delete, is a failure), and nothing at ERROR."""
    bucket = Bucket(store=scripted)
    scripted.failures["delete_object"] = [ObjectNotFound("gone", bucket="b", key="k")]
    with caplog.at_level(logging.DEBUG, logger="bucket"):
        bucket.delete_file("b", "k")
    logged = [r for r in caplog.records if r.levelno > logging.DEBUG]
    assert [(r.name, r.levelno) for r in logged] == [("bucket.Bucket", logging.WARNING)]
    assert "delete_file" in logged[0].getMessage() and "NoSuchKey" in logged[0].getMessage()


def test_invalid_config_is_an_error_not_an_exception() -> None:
    """A bad setting surfaces as error from connect() with the variable named; construction never raises."""
    import os

    saved = {k: os.environ.get(k) for k in ("BUCKET_HOST", "BUCKET_PORT")}
    os.environ["BUCKET_HOST"] = "127.0.0.1"
    os.environ["BUCKET_PORT"] = "not-a-port"
    try:
        bucket = Bucket()
        assert bucket.connect() == 84
        assert bucket.last_error is not None and "BUCKET_PORT" in str(bucket.last_error)
        assert bucket.is_connected() is False
        assert bucket.get_bucket_names() == 84
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_construction_makes_no_request() -> None:
    """Building a Bucket with auto_connect builds the client but sends nothing."""
    cfg = BucketConfig.from_env(
        {"BUCKET_HOST": "127.0.0.1", "BUCKET_PORT": "1", "BUCKET_USER": "u", "BUCKET_PASSWORD": "p"}
    )
    sent: list[str] = []
    bucket = Bucket(config=cfg)
    client = bucket.store.client  # type: ignore[attr-defined]
    client.meta.events.register("before-send", lambda **kw: sent.append("x"))
    assert sent == []
    assert bucket.last_error is None


def test_is_connected_false_before_any_connection(scripted: ScriptedStore) -> None:
    """auto_connect=False and no call yet: not connected, and no request is made."""
    cfg = BucketConfig.from_env({"BUCKET_HOST": "127.0.0.1", "BUCKET_USER": "u", "BUCKET_PASSWORD": "p"})
    bucket = Bucket(auto_connect=False, config=cfg)
    assert bucket.is_connected() is False


def test_disconnect_is_idempotent(scripted: ScriptedStore) -> None:
    """disconnect() twice returns success twice; an injected store is closed, not dropped."""
    bucket = Bucket(store=scripted)
    assert bucket.disconnect() == 0
    assert bucket.disconnect() == 0
    assert scripted.closed == 2
    assert bucket.download_stream("b", "k") == b"payload"


def test_state_is_per_instance(scripted: ScriptedStore) -> None:
    """last_error of one Bucket does not leak into another."""
    a, b = Bucket(store=scripted), Bucket(store=ScriptedStore())
    scripted.failures["get_object"] = [ObjectNotFound("gone")]
    a.download_stream("b", "k")
    assert a.last_error is not None
    assert b.last_error is None
