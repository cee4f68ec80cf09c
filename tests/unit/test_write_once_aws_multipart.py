"""Issue 15 item 3, the AWS side: AWS S3 checks ``If-None-Match: *`` on
CompleteMultipartUpload, so there a write-once upload above the threshold stays
multipart with the condition on that request (moto stands in for AWS, which checks it
as AWS does). Ceph and SeaweedFS take the one-conditional-PUT path:
``tests/integration/test_s3_write_once_lock.py``."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import AlreadyExists, BucketConfig
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import TransferSettings
from tests.streams import UnsizedStream

moto = pytest.importorskip("moto")

MiB = 1024 * 1024
LARGE_TRANSFER = TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "BUCKET_MAX_RETRIES": "0",
    "BUCKET_ENGINE": "boto3",  # moto intercepts botocore's requests, not obstore's
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Store, list[tuple[str, str, Any]]]]:
    """An S3Store on (moto's) AWS S3, with a bucket, and the requests it sends."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        store = S3Store(BucketConfig.from_env(AWS_ENV))
        store.create_bucket("write-once")
        sent: list[tuple[str, str, Any]] = []
        store.client.meta.events.register(
            "before-send.s3",
            lambda request, **_: sent.append((request.method, request.url, request.headers)),
        )
        yield store, sent
        store.close()


def _completes(sent: list[tuple[str, str, Any]]) -> list[Any]:
    return [h for m, url, h in sent if m == "POST" and "uploadId=" in url]


def test_aws_is_trusted_with_multipart_conditions(aws: tuple[S3Store, list[Any]]) -> None:
    """Judged from the endpoint the client really uses: AWS yes, any other endpoint no."""
    store, _ = aws
    assert store._multipart_checks_if_none_match()
    other = S3Store(BucketConfig.from_env({**AWS_ENV, "S3_ENDPOINT_URL": "http://127.0.0.1:9"}))
    assert not other._multipart_checks_if_none_match()


@pytest.mark.parametrize("kind", ["seekable", "unknown-length", "file"])
def test_aws_write_once_above_threshold_is_conditional_multipart(
    aws: tuple[S3Store, list[Any]], tmp_path: Path, kind: str
) -> None:
    """On AWS a new key goes up multipart with If-None-Match on CompleteMultipartUpload;
    a second write-once upload is refused and the first bytes stay."""
    store, sent = aws
    first, second = os.urandom(11 * MiB), os.urandom(11 * MiB)

    def upload(data: bytes) -> None:
        if kind == "file":
            path = tmp_path / "f.bin"
            path.write_bytes(data)
            store.upload_file(
                "write-once",
                "k",
                path,
                options=WriteOptions(mode="create"),
                transfer=LARGE_TRANSFER,
            )
        elif kind == "seekable":
            store.put_object(
                "write-once",
                "k",
                io.BytesIO(data),
                options=WriteOptions(mode="create"),
                transfer=LARGE_TRANSFER,
            )
        else:
            store.put_object(
                "write-once",
                "k",
                io.BufferedReader(UnsizedStream(data)),
                options=WriteOptions(mode="create"),
                transfer=LARGE_TRANSFER,
            )

    upload(first)
    completes = _completes(sent)
    assert len(completes) == 1 and completes[0].get("If-None-Match") in ("*", b"*")
    with pytest.raises(AlreadyExists):
        upload(second)
    assert store.get_object("write-once", "k") == first


def test_aws_short_unknown_length_stream_is_one_conditional_put(
    aws: tuple[S3Store, list[Any]],
) -> None:
    """A write-once stream of unknown length shorter than the threshold is one PUT with
    If-None-Match (s3transfer's own single PUT could not carry it, and overwrote)."""
    store, sent = aws
    store.put_object("write-once", "small", b"first")
    with pytest.raises(AlreadyExists):
        store.put_object(
            "write-once",
            "small",
            io.BufferedReader(UnsizedStream(b"second")),
            options=WriteOptions(mode="create"),
            transfer=LARGE_TRANSFER,
        )
    assert store.get_object("write-once", "small") == b"first"
    store.put_object(
        "write-once",
        "new",
        io.BufferedReader(UnsizedStream(b"x" * 1000)),
        options=WriteOptions(mode="create"),
        transfer=LARGE_TRANSFER,
    )
    assert store.get_object("write-once", "new") == b"x" * 1000
    assert _completes(sent) == []


def test_spool_is_bounded_in_memory_and_stops_past_the_limit() -> None:
    """The spool keeps at most the threshold in memory (then a temporary file), is
    re-readable, and reads no more than limit + 1 bytes of a longer stream."""
    from backend.src.libs.bucket.s3 import transfer

    data = os.urandom(3 * MiB)
    spool, size = transfer.spool(io.BufferedReader(UnsizedStream(data)), memory=MiB, limit=4 * MiB)
    with spool:
        assert size == len(data) and spool.read() == data
        assert spool._rolled  # type: ignore[attr-defined]  # on disk, not in memory
        spool.seek(0)
        assert spool.read() == data  # re-readable for a retried request
    source = io.BufferedReader(UnsizedStream(data))
    spool, size = transfer.spool(source, memory=MiB, limit=2 * MiB)
    spool.close()
    assert size == 2 * MiB + 1
    head, whole = transfer.read_ahead(io.BufferedReader(UnsizedStream(data)), MiB)
    assert head == data[:MiB] and whole.read() == data


def test_write_once_condition_survives_a_rebuilt_client_at_a_reused_address(
    aws: tuple[S3Store, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The If-None-Match hook is registered on every client the store builds, even when a
    new client lands at the address of a closed one (CPython reuses freed addresses;
    ``id`` is patched to one value here so that it always happens): the second
    write-once upload on the rebuilt client is still refused and the first bytes stay."""
    from backend.src.libs.bucket.s3 import store as store_module

    store, _ = aws
    monkeypatch.setattr(store_module, "id", lambda _obj: 1, raising=False)
    first, second = os.urandom(6 * MiB), os.urandom(6 * MiB)
    create = WriteOptions(mode="create")
    store.put_object("write-once", "k", io.BytesIO(first), options=create, transfer=LARGE_TRANSFER)
    store.close()  # the next call builds a new client
    with pytest.raises(AlreadyExists):
        store.put_object(
            "write-once", "k", io.BytesIO(second), options=create, transfer=LARGE_TRANSFER
        )
    assert store.get_object("write-once", "k") == first
