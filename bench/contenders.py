"""The contenders of the benchmark, each behind the same small interface.

Every contender talks to the same server and bucket; the workloads in ``workloads.py``
call only these methods, so the numbers compare the libraries and nothing else.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Target:
    """Where the benchmark runs."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    region: str = "us-east-1"
    local_root: str = ""  # a folder on disk for the local-store contenders ("" = none)


class Contender:
    """One library under test. Subclasses implement what they can; ``None`` = not offered.

    ``workloads`` names the workloads it takes part in; ``local`` marks a contender on a
    local folder (its W1/W2/W4 are reported in their own section, not beside S3's).
    """

    name = "contender"
    workloads: ClassVar[tuple[str, ...]] = ("W1", "W2", "W3", "W4", "W6")
    local: ClassVar[bool] = False

    def __init__(self, target: Target) -> None:
        self.target = target

    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def head(self, key: str) -> int:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def put_many(self, items: list[tuple[str, bytes]], threads: int) -> None:
        _threaded(lambda item: self.put(*item), items, threads)

    def get_many(self, keys: list[str], threads: int) -> list[bytes]:
        return _threaded(self.get, keys, threads)

    def delete_many(self, keys: list[str], threads: int) -> None:
        _threaded(self.delete, keys, threads)

    def upload_file(self, key: str, path: str) -> None:
        raise NotImplementedError

    def download_file(self, key: str, path: str) -> None:
        raise NotImplementedError

    def count(self, prefix: str) -> int:
        raise NotImplementedError

    def presign(self, key: str) -> str:
        raise NotImplementedError


def _threaded(fn: Callable[[Any], Any], items: Iterable[Any], threads: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(fn, items))


class Boto3(Contender):
    """Raw boto3 client with its defaults (sequential where it has no batch API)."""

    name = "boto3"

    def __init__(self, target: Target, *, pool: int = 10, tuned: bool = False) -> None:
        super().__init__(target)
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "s3",
            endpoint_url=target.endpoint,
            aws_access_key_id=target.access_key,
            aws_secret_access_key=target.secret_key,
            region_name=target.region,
            # s3v4: boto3 presigns with the legacy SigV2 by default, which AWS regions since
            # 2014 and most S3 servers refuse; the baseline signs the same kind of URL as we do
            config=Config(max_pool_connections=pool, signature_version="s3v4"),
        )
        self.transfer_config: Any = None
        if tuned:
            from boto3.s3.transfer import TransferConfig

            mib = 1024 * 1024
            self.transfer_config = TransferConfig(
                multipart_threshold=16 * mib, multipart_chunksize=16 * mib, max_concurrency=8
            )

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.target.bucket, Key=key, Body=data)

    def get(self, key: str) -> bytes:
        body = self.client.get_object(Bucket=self.target.bucket, Key=key)["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def head(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.target.bucket, Key=key)["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.target.bucket, Key=key)

    def upload_file(self, key: str, path: str) -> None:
        self.client.upload_file(path, self.target.bucket, key, Config=self.transfer_config)

    def download_file(self, key: str, path: str) -> None:
        self.client.download_file(self.target.bucket, key, path, Config=self.transfer_config)

    def count(self, prefix: str) -> int:
        paginator = self.client.get_paginator("list_objects_v2")
        return sum(
            len(page.get("Contents", []))
            for page in paginator.paginate(Bucket=self.target.bucket, Prefix=prefix)
        )

    def presign(self, key: str) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.target.bucket, "Key": key}, ExpiresIn=3600
            )
        )


class Boto3Tuned(Boto3):
    """boto3 with a tuned TransferConfig (16 MiB parts, 8 threads) for large objects."""

    name = "boto3-tuned"

    def __init__(self, target: Target, *, pool: int = 10) -> None:
        super().__init__(target, pool=pool, tuned=True)


class CoreStore(Contender):
    """This project's exception-based ``S3Store``."""

    name = "bucket-store"
    engine: ClassVar[str | None] = None  # BUCKET_ENGINE (None: the default, auto)

    def __init__(self, target: Target, *, workers: int = 8) -> None:
        super().__init__(target)
        from backend.src.libs.bucket import BucketConfig

        self.config = BucketConfig.from_env(self._env(workers))
        self.store: Any = self._build_store()
        _build_client(self.store)  # built now, as boto3's contender builds its client in __init__

    def _env(self, workers: int) -> dict[str, str]:
        env = {
            "S3_ENDPOINT_URL": self.target.endpoint,
            "AWS_ACCESS_KEY_ID": self.target.access_key,
            "AWS_SECRET_ACCESS_KEY": self.target.secret_key,
            "AWS_REGION": self.target.region,
            "BUCKET_MAX_WORKERS": str(workers),
        }
        if self.engine:
            env["BUCKET_ENGINE"] = self.engine
        return env

    def _build_store(self) -> Any:
        from backend.src.libs.bucket.s3.store import S3Store

        return S3Store(self.config)

    def put(self, key: str, data: bytes) -> None:
        self.store.put_object(self.target.bucket, key, data)

    def get(self, key: str) -> bytes:
        return bytes(self.store.get_object(self.target.bucket, key))

    def head(self, key: str) -> int:
        return int(self.store.head_object(self.target.bucket, key).size)

    def delete(self, key: str) -> None:
        self.store.delete_object(self.target.bucket, key)

    def put_many(self, items: list[tuple[str, bytes]], threads: int) -> None:
        from backend.src.libs.bucket.features import batch

        results = batch.put_many(self.store, self.target.bucket, items, max_workers=threads)
        assert all(r.ok for r in results)

    def get_many(self, keys: list[str], threads: int) -> list[bytes]:
        from backend.src.libs.bucket.features import batch

        results = batch.get_many(self.store, self.target.bucket, keys, max_workers=threads)
        return [r.value or b"" for r in results]

    def delete_many(self, keys: list[str], threads: int) -> None:
        from backend.src.libs.bucket.features import batch

        results = batch.delete_many(self.store, self.target.bucket, keys, max_workers=threads)
        assert all(r.ok for r in results)

    def upload_file(self, key: str, path: str) -> None:
        self.store.upload_file(self.target.bucket, key, path)

    def download_file(self, key: str, path: str) -> None:
        self.store.download_file(self.target.bucket, key, path)

    def count(self, prefix: str) -> int:
        return sum(1 for _ in self.store.list_objects(self.target.bucket, prefix=prefix))

    def presign(self, key: str) -> str:
        return str(self.store.presign_url(self.target.bucket, key, expiration=3600))


class Facade(CoreStore):
    """This project's ``Bucket`` facade (return codes) over the same core."""

    name = "bucket-facade"

    def __init__(self, target: Target, *, workers: int = 8) -> None:
        super().__init__(target, workers=workers)
        from backend.src.libs.bucket import Bucket

        self.bucket = Bucket(config=self.config)
        _build_client(self.bucket.store)  # built now, like boto3's

    def put(self, key: str, data: bytes) -> None:
        assert self.bucket.upload_stream(self.target.bucket, data, key) == self.bucket.success

    def get(self, key: str) -> bytes:
        data = self.bucket.download_stream(self.target.bucket, key)
        assert isinstance(data, bytes)
        return data

    def head(self, key: str) -> int:
        info = self.bucket.get_file_info(self.target.bucket, key)
        assert not isinstance(info, int)
        return info.size

    def delete(self, key: str) -> None:
        assert self.bucket.delete_file(self.target.bucket, key) == self.bucket.success

    def put_many(self, items: list[tuple[str, bytes]], threads: int) -> None:
        results = self.bucket.put_many(self.target.bucket, items, max_workers=threads)
        assert not isinstance(results, int) and all(r.ok for r in results)

    def get_many(self, keys: list[str], threads: int) -> list[bytes]:
        results = self.bucket.get_many(self.target.bucket, keys, max_workers=threads)
        assert not isinstance(results, int)
        return [r.value or b"" for r in results]

    def delete_many(self, keys: list[str], threads: int) -> None:
        results = self.bucket.delete_many(self.target.bucket, keys, max_workers=threads)
        assert not isinstance(results, int) and all(r.ok for r in results)

    def upload_file(self, key: str, path: str) -> None:
        assert self.bucket.upload_file(self.target.bucket, path, key) == self.bucket.success

    def download_file(self, key: str, path: str) -> None:
        assert self.bucket.download_file(self.target.bucket, key, path) == self.bucket.success

    def count(self, prefix: str) -> int:
        listing = self.bucket.list_files(self.target.bucket, prefix=prefix)
        assert not isinstance(listing, int)
        return sum(1 for _ in listing)

    def presign(self, key: str) -> str:
        url = self.bucket.presign_url(self.target.bucket, key, expiration=3600)
        assert isinstance(url, str)
        return url


class MinioPy(Contender):
    """minio-py, threads from a pool for the many-object workloads."""

    name = "minio-py"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        from minio import Minio

        url = urlsplit(target.endpoint)
        self.client = Minio(
            url.netloc,
            access_key=target.access_key,
            secret_key=target.secret_key,
            secure=url.scheme == "https",
            region=target.region,
        )

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(self.target.bucket, key, io.BytesIO(data), len(data))

    def get(self, key: str) -> bytes:
        response = self.client.get_object(self.target.bucket, key)
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def head(self, key: str) -> int:
        return int(self.client.stat_object(self.target.bucket, key).size or 0)

    def delete(self, key: str) -> None:
        self.client.remove_object(self.target.bucket, key)

    def delete_many(self, keys: list[str], threads: int) -> None:
        from minio.deleteobjects import DeleteObject

        errors = list(self.client.remove_objects(self.target.bucket, (DeleteObject(k) for k in keys)))
        assert not errors

    def upload_file(self, key: str, path: str) -> None:
        self.client.fput_object(self.target.bucket, key, path)

    def download_file(self, key: str, path: str) -> None:
        self.client.fget_object(self.target.bucket, key, path)

    def count(self, prefix: str) -> int:
        return sum(1 for _ in self.client.list_objects(self.target.bucket, prefix=prefix, recursive=True))

    def presign(self, key: str) -> str:
        from datetime import timedelta

        return str(self.client.presigned_get_object(self.target.bucket, key, expires=timedelta(hours=1)))


class Obstore(Contender):
    """obstore (Rust object_store); its own thread pool inside, called from Python threads."""

    name = "obstore"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        from obstore.store import S3Store as ObS3Store

        self.store: Any = ObS3Store(
            target.bucket,
            endpoint=target.endpoint,
            access_key_id=target.access_key,
            secret_access_key=target.secret_key,
            region=target.region,
            virtual_hosted_style_request=False,
            client_options={"allow_http": True},
        )

    def put(self, key: str, data: bytes) -> None:
        import obstore

        obstore.put(self.store, key, data)

    def get(self, key: str) -> bytes:
        import obstore

        return bytes(obstore.get(self.store, key).bytes())

    def head(self, key: str) -> int:
        import obstore

        return int(obstore.head(self.store, key)["size"])

    def delete(self, key: str) -> None:
        import obstore

        obstore.delete(self.store, key)

    def delete_many(self, keys: list[str], threads: int) -> None:
        import obstore

        for start in range(0, len(keys), 1000):
            obstore.delete(self.store, keys[start : start + 1000])

    def upload_file(self, key: str, path: str) -> None:
        import obstore

        with open(path, "rb") as handle:
            obstore.put(self.store, key, handle)

    def download_file(self, key: str, path: str) -> None:
        import obstore

        result = obstore.get(self.store, key)
        with open(path, "wb") as handle:
            for chunk in result.stream(min_chunk_size=8 * 1024 * 1024):
                handle.write(chunk)

    def count(self, prefix: str) -> int:
        import obstore

        return sum(len(batch) for batch in obstore.list(self.store, prefix=prefix or None))

    def presign(self, key: str) -> str:
        from datetime import timedelta

        import obstore

        return str(obstore.sign(self.store, "GET", key, timedelta(hours=1)))


class FacadeBoto3(Facade):
    """The ``Bucket`` facade built with ``BUCKET_ENGINE=boto3`` (botocore's data plane),
    beside ``bucket-facade`` (the default engine), so both engines are measured in one run."""

    name = "bucket-facade-boto3"
    engine = "boto3"


class LocalFacade(Facade):
    """The ``Bucket`` facade on this project's local folder store (fsync on every write)."""

    name = "bucket-local"
    workloads: ClassVar[tuple[str, ...]] = ("W1", "W2", "W4")
    local = True

    def _env(self, workers: int) -> dict[str, str]:
        root = Path(self.target.local_root) / "bucket"
        return {"STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": str(root), "BUCKET_MAX_WORKERS": str(workers)}

    def _build_store(self) -> Any:
        from backend.src.libs.bucket.local.store import LocalStore

        store = LocalStore(self.config)
        store.create_bucket(self.target.bucket, exist_ok=True)
        return store


class LocalFacadeNoFsync(LocalFacade):
    """``bucket-local`` with ``os.fsync`` made a no-op around its writes: not a product
    setting, only here to measure what the local store's fsyncs cost (same folder)."""

    name = "bucket-local-nofsync"
    workloads: ClassVar[tuple[str, ...]] = ("W1", "W2")

    def put(self, key: str, data: bytes) -> None:
        with no_fsync():
            super().put(key, data)

    def delete(self, key: str) -> None:
        with no_fsync():
            super().delete(key)

    def put_many(self, items: list[tuple[str, bytes]], threads: int) -> None:
        with no_fsync():
            super().put_many(items, threads)

    def delete_many(self, keys: list[str], threads: int) -> None:
        with no_fsync():
            super().delete_many(keys, threads)


class ObstoreLocal(Obstore):
    """obstore's own ``LocalStore`` on a folder beside ours (no fsync)."""

    name = "obstore-local"
    workloads: ClassVar[tuple[str, ...]] = ("W1", "W2", "W4")
    local = True

    def __init__(self, target: Target) -> None:  # not Obstore.__init__: no S3 store here
        Contender.__init__(self, target)
        from obstore.store import LocalStore as ObLocalStore

        root = Path(target.local_root) / "obstore"
        root.mkdir(parents=True, exist_ok=True)
        self.store = ObLocalStore(str(root))


ALL: dict[str, type[Contender]] = {
    c.name: c
    for c in (Boto3, Boto3Tuned, Facade, FacadeBoto3, CoreStore, MinioPy, Obstore,
              LocalFacade, LocalFacadeNoFsync, ObstoreLocal)
}


def make(name: str, target: Target, *, threads: int = 8) -> Contender:
    """Build contender ``name`` for ``target`` with pools sized for ``threads``."""
    cls = ALL[name]
    if issubclass(cls, CoreStore):
        return cls(target, workers=threads)
    if issubclass(cls, Boto3):
        return cls(target, pool=max(10, threads))
    return cls(target)  # minio-py and obstore size their pools themselves


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    """``os.fsync`` does nothing inside (the whole process: use only while one contender
    runs, to prefill or to measure what fsync costs)."""
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


def _build_client(store: object) -> None:
    """Build a store's lazily built boto3 client now, when it has one."""
    with contextlib.suppress(AttributeError):
        _ = store.client  # type: ignore[attr-defined]


def payload(size: int, seed: int = 0) -> bytes:
    """Random-looking but reproducible bytes."""
    return os.urandom(size) if seed == 0 else (bytes(range(256)) * (size // 256 + 1))[:size]
