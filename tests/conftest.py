"""Shared fixtures: a real S3 server for the whole session, a clean bucket per test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, ObjectStore
from backend.src.libs.bucket.s3_store import S3Store
from tests.servers import S3Server, external_s3, minio_container, start_ceph, stop_ceph


@pytest.fixture(scope="session")
def ceph_server() -> Iterator[S3Server]:
    """The project's Ceph RGW, started or reused (or the server named by ``BUCKET_TEST_S3_*``)."""
    server = external_s3()
    if server is not None:
        yield server
        return
    try:
        server, started = start_ceph()
    except Exception as exc:  # no Debian packages: say what to do instead
        pytest.fail(
            f"could not start the local Ceph RGW ({exc}); start an S3 server and set "
            "BUCKET_TEST_S3_ENDPOINT, BUCKET_TEST_S3_ACCESS_KEY and BUCKET_TEST_S3_SECRET_KEY",
            pytrace=False,
        )
    yield server
    if started and os.environ.get("BUCKET_TEST_KEEP_SERVERS") != "1":
        stop_ceph()


@pytest.fixture(scope="session", params=["ceph", pytest.param("minio", marks=pytest.mark.docker)])
def s3_server(request: pytest.FixtureRequest) -> Iterator[S3Server]:
    """The S3 server of this session: the project's Ceph RGW (or ``BUCKET_TEST_S3_*``), and
    MinIO in a container through testcontainers wherever a Docker engine answers."""
    if request.param == "minio":
        yield from minio_container()
    else:
        yield request.getfixturevalue("ceph_server")


def config_for(server: S3Server, **overrides: object) -> BucketConfig:
    """A ``BucketConfig`` pointing at ``server`` (no environment read)."""
    env = {
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": server.region,
        "BUCKET_CONNECT_TIMEOUT": "3",
        "BUCKET_READ_TIMEOUT": "30",
        "BUCKET_MAX_RETRIES": "2",
    }
    return BucketConfig.from_env(env, **overrides)


@pytest.fixture(scope="session")
def s3_config(s3_server: S3Server) -> BucketConfig:
    """Settings for the session's S3 server."""
    return config_for(s3_server)


@pytest.fixture
def s3_store(s3_config: BucketConfig) -> Iterator[S3Store]:
    """A fresh exception-based store on the real server."""
    store = S3Store(s3_config)
    yield store
    store.close()


def unique_bucket_name(tag: str = "t") -> str:
    """A valid bucket name no other test uses."""
    return f"{tag}-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def bucket_name(s3_store: S3Store) -> Iterator[str]:
    """A new, empty bucket for one test, force-deleted afterwards."""
    name = unique_bucket_name()
    s3_store.create_bucket(name)
    yield name
    with contextlib.suppress(Exception):  # the test may have deleted it already
        s3_store.delete_bucket(name, force=True)


@pytest.fixture
def facade(s3_config: BucketConfig) -> Iterator[Bucket]:
    """A ``Bucket`` facade on the real server."""
    bucket = Bucket(config=s3_config)
    yield bucket
    bucket.disconnect()


@dataclass
class StoreCase:
    """A store under test, its kind (``s3`` or ``local``) and a fresh bucket in it."""

    kind: str
    store: ObjectStore
    bucket: str


@pytest.fixture(params=["s3", "local"])
def any_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreCase]:
    """The same test on every store: the real S3 server and the local folder store."""
    store: ObjectStore
    if request.param == "s3":
        store = S3Store(config_for(request.getfixturevalue("ceph_server")))
    else:
        try:
            from backend.src.libs.bucket.local_store import LocalStore
        except ImportError:
            pytest.fail("LocalStore is missing (backend/src/libs/bucket/local_store.py)")
        root = tmp_path_factory.mktemp("local-store")
        store = LocalStore(BucketConfig(storage_type="local", local_root=str(root)))
    name = unique_bucket_name()
    store.create_bucket(name)
    yield StoreCase(kind=request.param, store=store, bucket=name)
    with contextlib.suppress(Exception):
        store.delete_bucket(name, force=True)
    store.close()
