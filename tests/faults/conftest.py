"""Fixtures of the fault-injection tests: a ``FaultProxy`` in front of the real Ceph RGW,
settings that point through it, and a direct store (no proxy) to check the server."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.faults.proxy import FaultProxy
from tests.servers import S3Server

ProxiedConfig = Callable[..., BucketConfig]


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def proxy(ceph_server: S3Server) -> Iterator[FaultProxy]:
    """A fresh proxy in front of the session's Ceph RGW (no fault scripted yet)."""
    fault_proxy = FaultProxy(ceph_server.endpoint).start()
    yield fault_proxy
    fault_proxy.stop()


@pytest.fixture
def direct(ceph_server: S3Server) -> Iterator[S3Store]:
    """A store talking to Ceph directly, to check what really is on the server."""
    store = S3Store(config_for(ceph_server))
    yield store
    store.close()


@pytest.fixture
def fault_bucket(direct: S3Store) -> Iterator[str]:
    """A fresh bucket on Ceph; after the test no incomplete multipart upload may remain."""
    name = unique_bucket_name("fault")
    direct.create_bucket(name)
    yield name
    with contextlib.suppress(Exception):
        direct.delete_bucket(name, force=True)


@pytest.fixture
def proxied_config(ceph_server: S3Server, proxy: FaultProxy) -> ProxiedConfig:
    """``proxied_config(**overrides)``: settings for Ceph through the proxy (2 retries,
    1 s connect, 5 s read timeouts unless overridden)."""

    def make(**overrides: object) -> BucketConfig:
        values: dict[str, object] = {
            "endpoint_url": proxy.endpoint,
            "max_retries": 2,
            "connect_timeout": 1.0,
            "read_timeout": 5.0,
        }
        values.update(overrides)
        return config_for(ceph_server, **values)

    return make


def open_uploads(store: S3Store, bucket: str) -> list[str]:
    """Keys of the incomplete multipart uploads of ``bucket`` (asked of the server directly)."""
    response = store.client.list_multipart_uploads(Bucket=bucket)
    return [u["Key"] for u in response.get("Uploads", [])]


def server_digests(store: S3Store, bucket: str) -> dict[str, str]:
    """key -> SHA-256 of every object really on the server."""
    out = {}
    for entry in store.list_objects(bucket):
        key = entry.key  # type: ignore[union-attr]
        out[key] = sha256(store.get_object(bucket, key))
    return out
