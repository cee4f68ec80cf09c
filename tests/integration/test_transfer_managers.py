"""One s3transfer ``TransferManager`` per store (issue 10 item 9), on Ceph RGW and
SeaweedFS: built on first use, reused by every upload, one more per other set of per-call
settings, shut down by ``close()`` (threads gone), while each concurrent upload still
gets its own ETag and version id back."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket.s3 import transfer
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import Transfers, TransferSettings
from tests.conftest import ServerCase

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZE = 6 * MiB  # two parts: 5 MiB + 1 MiB


def _store(case: ServerCase) -> S3Store:
    # s3transfer's managers carry multipart uploads on the boto3 engine (on obstore's,
    # plain multipart uploads are obstore's: tests/integration/test_engines_large.py)
    return S3Store(
        case.config(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, engine="boto3")
    )


def _body(seed: int) -> bytes:
    return bytes([seed % 251]) * SIZE


_BEFORE: set[threading.Thread] = set()


def _transfer_threads() -> list[threading.Thread]:
    """The live threads of transfer managers made since the test started (stores other
    tests left open keep theirs)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(transfer.THREAD_PREFIX) and t not in _BEFORE
    ]


@pytest.fixture(autouse=True)
def _threads_before() -> None:
    _BEFORE.clear()
    _BEFORE.update(t for t in threading.enumerate() if t.name.startswith(transfer.THREAD_PREFIX))


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """The kinds of the managers built while the test runs."""
    built: list[tuple[object, ...]] = []
    original = Transfers._build

    def counting(client: Any, kind: tuple[object, ...], tconfig: Any) -> Any:
        built.append(kind)
        return original(client, kind, tconfig)

    monkeypatch.setattr(Transfers, "_build", staticmethod(counting))
    return built


def test_one_manager_serves_every_upload_and_close_stops_it(
    s3case: ServerCase, tmp_path: Path, builds: list[tuple[object, ...]]
) -> None:
    """Three multipart uploads (a stream, a file, a stream again) build one manager;
    close() joins its threads; the next upload builds a new one."""
    store = _store(s3case)
    path = tmp_path / "f.bin"
    path.write_bytes(_body(2))
    try:
        store.put_object(s3case.bucket, "a.bin", io.BytesIO(_body(1)))
        store.upload_file(s3case.bucket, "b.bin", path)
        store.put_object(s3case.bucket, "c.bin", io.BytesIO(_body(3)))
        assert len(builds) == 1
        assert _transfer_threads()
        store.close()
        assert _transfer_threads() == []
        result = store.put_object(s3case.bucket, "d.bin", io.BytesIO(_body(4)))
        assert result.etag == store.head_object(s3case.bucket, "d.bin").etag
        assert len(builds) == 2
    finally:
        store.close()
    assert _transfer_threads() == []


def test_per_call_settings_get_a_manager_of_their_own(
    s3case: ServerCase, builds: list[tuple[object, ...]]
) -> None:
    """A call with other multipart settings uses a manager for that set (kept for the next
    such call) and splits by its own part size; the store's manager is untouched."""
    store = _store(s3case)
    six = TransferSettings(part_size=6 * MiB)
    try:
        default = store.put_object(s3case.bucket, "d.bin", io.BytesIO(_body(5) * 2))
        wide = store.put_object(s3case.bucket, "w.bin", io.BytesIO(_body(6) * 2), transfer=six)
        store.put_object(s3case.bucket, "w2.bin", io.BytesIO(_body(7) * 2), transfer=six)
        store.put_object(s3case.bucket, "d2.bin", io.BytesIO(_body(8) * 2))
    finally:
        store.close()
    assert default.etag is not None and default.etag.endswith("-3")  # 12 MiB in 5 MiB parts
    assert wide.etag is not None and wide.etag.endswith("-2")  # 12 MiB in 6 MiB parts
    assert len(builds) == 2 and builds[0] != builds[1]
    assert _transfer_threads() == []


def test_managers_beyond_the_limit_are_shut_after_their_upload(
    s3case: ServerCase, builds: list[tuple[object, ...]]
) -> None:
    """Past MAX_MANAGERS sets of settings, a call gets a manager of its own that is shut
    down when its upload ends (its threads do not outlive it)."""
    store = _store(s3case)
    try:
        for i in range(transfer.MAX_MANAGERS + 1):
            settings = TransferSettings(max_concurrency=i + 1)
            store.put_object(s3case.bucket, f"k{i}.bin", io.BytesIO(_body(i)), transfer=settings)
        assert len(builds) == transfer.MAX_MANAGERS + 1
        kept = len(store._transfers._managers)
        assert kept == transfer.MAX_MANAGERS
    finally:
        store.close()
    assert _transfer_threads() == []


def test_concurrent_uploads_through_one_manager_get_their_own_etags(
    s3case: ServerCase, tmp_path: Path, builds: list[tuple[object, ...]]
) -> None:
    """A file and a stream of other bytes, uploaded (multipart) at once through the one
    manager of a store, each get the ETag of their own object."""
    store = _store(s3case)
    path = tmp_path / "f.bin"
    path.write_bytes(_body(20))
    results: dict[str, str | None] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        try:
            barrier.wait()
            if name == "file":
                results[name] = store.upload_file(s3case.bucket, "file.bin", path).etag
            else:
                stream = io.BytesIO(_body(21))
                results[name] = store.put_object(s3case.bucket, "stream.bin", stream).etag
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("file", "stream")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        heads = {k: store.head_object(s3case.bucket, f"{k}.bin").etag for k in results}
    finally:
        store.close()
    assert results == heads
    assert results["file"] != results["stream"]
    assert len(builds) == 1


def test_close_during_an_upload_lets_it_finish(s3case: ServerCase) -> None:
    """close() called while an upload runs (here from its own progress callback) neither
    waits for it nor breaks it: the upload completes with its ETag, and its manager is
    shut down by the upload when it ends."""
    store = _store(s3case)
    closed = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if not closed.is_set():
            closed.set()
            store.close()

    try:
        result = store.put_object(
            s3case.bucket, "late.bin", io.BytesIO(_body(30)), progress=progress
        )
        assert closed.is_set()
        assert result.etag == store.head_object(s3case.bucket, "late.bin").etag
    finally:
        store.close()
    assert _transfer_threads() == []
