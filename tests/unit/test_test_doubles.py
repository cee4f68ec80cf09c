"""Test doubles see every request, whatever the engine (issue 23 item 7).

When botocore's sending is hooked (moto's ``mock_aws``, botocore's ``Stubber``, a handler on
the client's ``before-send``), the default engine sends everything through botocore: the
obstore plane and the signed HEAD stand aside (``s3.send_hooks``), so the double sees each
request and nothing dials out. The stores here point at ``http://127.0.0.1:9`` (nothing
listens there): a request that passed the double by would fail to connect. moto's runs go
through a subprocess under the dial guard (``tests/dial_guard.py``), which fails and logs
every attempt to leave the machine, Rust's included.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.s3 import botocore_private, send_hooks
from backend.src.libs.bucket.s3.store import S3Store
from tests import dial_guard
from tests.servers import ROOT

NOWHERE = "http://127.0.0.1:9"


def _store(**settings: str) -> S3Store:
    env = {
        "BUCKET_ENDPOINT_URL": NOWHERE,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "BUCKET_MAX_RETRIES": "0",
        "BUCKET_CONNECT_TIMEOUT": "1",
        **settings,
    }
    return S3Store(BucketConfig.from_env(env))


@pytest.fixture
def store() -> Iterator[S3Store]:
    """A store on the default engine (obstore here), its client built, no request sent."""
    found = _store()
    assert found.engine == "obstore"
    _ = found.client
    yield found
    found.close()


def test_stubber_sees_put_get_head_exists_delete(store: S3Store) -> None:
    """botocore's ``Stubber`` on the store's client answers put, get, head, exists and
    delete on the default engine (before: obstore and the signed HEAD went to the
    endpoint past it)."""
    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    with Stubber(store.client) as stub:
        assert store._conn.plane is None
        stub.add_response("put_object", {"ETag": '"e1"'})
        stub.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(b"hello"), 5), "ContentLength": 5, "ETag": '"e1"'},
        )
        stub.add_response("head_object", {"ContentLength": 5, "ETag": '"e1"'})
        stub.add_response("head_object", {"ContentLength": 5, "ETag": '"e1"'})
        stub.add_response("delete_object", {})
        assert store.put_object("box", "k.txt", b"hello").etag == "e1"
        assert store.get_object("box", "k.txt") == b"hello"
        assert store.head_object("box", "k.txt").size == 5
        assert store.object_exists("box", "k.txt")
        store.delete_object("box", "k.txt")
        stub.assert_no_pending_responses()
    assert store._conn.plane is not None  # deactivated: obstore again


class _Answer(io.BytesIO):
    """A raw body for botocore's ``AWSResponse`` (as moto's ``MockRawResponse``)."""

    def stream(self, **_: object) -> Iterator[bytes]:
        while chunk := self.read(65536):
            yield chunk


def _recorder(seen: list[str]) -> Any:
    """A ``before-send`` handler that records each request and answers it (200)."""
    from botocore.awsrequest import AWSResponse

    def answer(request: Any, **_: object) -> Any:
        seen.append(f"{request.method} {request.url.split('?')[0]}")
        body = b"hello" if request.method == "GET" else b""
        size = "5" if request.method in ("GET", "HEAD") else "0"
        headers = {"ETag": '"e1"', "Content-Length": size}
        if request.method == "DELETE":
            return AWSResponse(request.url, 204, {}, _Answer(b""))
        return AWSResponse(request.url, 200, headers, _Answer(body))

    return answer


def test_before_send_handler_sees_every_request(store: S3Store) -> None:
    """A handler registered on the client's ``before-send`` sees every request of the
    default engine, the signed HEAD's included (it is the store's path-style endpoint),
    and answers it; removed, obstore carries the small objects again. An explicit
    ``BUCKET_ENGINE=obstore`` is kept."""
    seen: list[str] = []
    handler = _recorder(seen)
    store.client.meta.events.register("before-send.s3", handler)
    store.put_object("box", "k.txt", b"hello")
    assert store.get_object("box", "k.txt") == b"hello"
    assert store.head_object("box", "k.txt").etag == "e1"
    assert store.object_exists("box", "k.txt")
    store.delete_object("box", "k.txt")
    assert seen == [
        f"PUT {NOWHERE}/box/k.txt",
        f"GET {NOWHERE}/box/k.txt",
        f"HEAD {NOWHERE}/box/k.txt",
        f"HEAD {NOWHERE}/box/k.txt",
        f"DELETE {NOWHERE}/box/k.txt",
    ]
    store.client.meta.events.unregister("before-send.s3", handler)
    assert store._conn.plane is not None
    chosen = _store(BUCKET_ENGINE="obstore")  # an explicit choice is kept
    chosen.client.meta.events.register("before-send.s3", handler)
    assert chosen._conn.plane is not None
    chosen.close()


def test_moto_started_after_the_store_was_built(store: S3Store) -> None:
    """moto imported before the client was made puts its stubber on the client, idle: the
    plane stays; a mock started later makes it stand aside at the next call, and it is
    back when the mock stops (``enabled`` read per call, no re-registration)."""
    pytest.importorskip("moto")
    from moto import mock_aws

    moto_store = _store(BUCKET_ENDPOINT_URL="")  # AWS itself, as a moto user has it
    try:
        _ = moto_store.client
        assert moto_store._conn.plane is not None
        with mock_aws():
            assert moto_store._conn.plane is None
            assert moto_store._conn.built_plane is None  # the event loop's routes too
            moto_store.create_bucket("demo")
            moto_store.put_object("demo", "k", b"hello")
            assert moto_store.get_object("demo", "k") == b"hello"
        assert moto_store._conn.plane is not None
    finally:
        moto_store.close()


def test_the_handlers_are_read_again_only_after_a_registration(
    store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-call check is one identity comparison: the handlers are read again only
    when a handler was registered or removed on the client (then once)."""
    reads: list[str] = []
    real = botocore_private.handlers

    def counting(emitter: Any, event_name: str) -> list[Any] | None:
        reads.append(event_name)
        return real(emitter, event_name)

    monkeypatch.setattr(send_hooks.botocore_private, "handlers", counting)
    for _ in range(1000):
        assert store._conn.plane is not None
    assert reads == []
    store.client.meta.events.register("before-send.s3.PutObject", _recorder([]))
    for _ in range(1000):
        assert store._conn.plane is None
    assert len(reads) == 2 * len(send_hooks.OPERATIONS)  # one re-read of both events


def test_an_unreadable_emitter_counts_as_hooked(
    store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a botocore whose emitter hides its handlers (``botocore_private`` falls back),
    the store sends everything through botocore: slower, never past a test double."""
    monkeypatch.setattr(botocore_private, "event_emitter", lambda events: None)
    monkeypatch.setattr(botocore_private, "_warned", set())
    assert send_hooks.SendHooks(store.client).hooked()


@pytest.mark.skipif(not dial_guard.available(), reason="no C compiler for the dial guard")
def test_nothing_dials_out_under_moto_on_the_default_engine(tmp_path: Path) -> None:
    """Under ``mock_aws``, on the default engine, put/get/head/exists/delete/presign/list/
    upload_file/download_file, the facade's upload_stream/download_stream and the async
    twins all work through moto, and nothing tries to leave the machine (a socket-level
    guard under Python and Rust alike). Before: obstore dialed AWS (``ConnectionFailed``,
    ``resolve demo.s3.us-east-1.amazonaws.com`` in the guard's log)."""
    pytest.importorskip("moto")
    done = dial_guard.run(
        [sys.executable, "-m", "tests.unit.moto_scenario", str(tmp_path)],
        tmp_path,
        {"PYTHONPATH": str(ROOT)},
    )
    assert done.dialed == [], f"dialed out: {done.dialed}\n{done.stderr[-3000:]}"
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


@pytest.mark.skipif(not dial_guard.available(), reason="no C compiler for the dial guard")
def test_the_moto_example_of_docs_testing_runs(tmp_path: Path) -> None:
    """docs/testing.md's users' unit test, run by pytest as written, passes under the dial
    guard: moto answers every request of the default engine."""
    pytest.importorskip("moto")
    blocks = _BLOCK.findall((ROOT / "docs" / "testing.md").read_text())
    example = next(block for block in blocks if "mock_aws" in block)
    (tmp_path / "test_example.py").write_text(example)
    done = dial_guard.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        tmp_path,
        {"PYTHONPATH": str(ROOT)},
    )
    assert done.dialed == [], f"dialed out: {done.dialed}\n{done.stdout[-3000:]}"
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b[1-9]\d* passed\b", done.stdout), done.stdout
