"""Shared fixtures: a real S3 server for the whole session, a clean bucket per test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, ObjectStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.servers import S3Server, external_s3, minio_container, start_ceph, stop_ceph

# ---------------------------------------------------------------- the integration marker
# A test that talks to a server is marked ``integration`` by the fixture that gives it the
# server, not by hand, so that ``pytest -m "not integration"`` (``make test-unit``) dials
# nothing and passes in a network namespace with no network (issue 24). Every fixture here
# holds a server or settings for one: S3 (this file), the machine's Redis and MariaDB, the
# servers and topologies a test starts itself (tests/runtime/conftest.py); the fixtures built
# on them (s3_store, bucket_name, facade, tests/faults' proxy, tests/cli's s3_cli...) hold
# them in their closure.
SERVER_FIXTURES = frozenset(
    {
        "ceph_server",
        "s3_server",
        "seaweed_server",
        "s3case",  # ceph or seaweedfs, through request.getfixturevalue
        "redis_config",
        "sql_config",
        "own_redis",
        "own_mariadb",
        "redis_sentinel",
        "redis_cluster",
        "own_redis_cluster",
        "mariadb_pair",
    }
)
# Parametrized fixtures that reach a server for some parameters only, through
# request.getfixturevalue (so the server is not in the test's closure): fixture -> those
# parameters. The other parameters (the local folder store) stay in the unit layer.
SERVER_PARAMS: dict[str, frozenset[str]] = {
    "any_store": frozenset({"s3"}),
    "cli": frozenset({"s3"}),  # tests/cli/conftest.py
    "_base": frozenset({"s3"}),  # tests/badinput/conftest.py
}


def server_fixture(item: pytest.Item) -> str | None:
    """The fixture through which ``item`` reaches a server, or None."""
    names = set(getattr(item, "fixturenames", ()))
    found = sorted(names & SERVER_FIXTURES)
    if found:
        return found[0]
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    for fixture, values in SERVER_PARAMS.items():
        if fixture in names and params.get(fixture) in values:
            return fixture
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``integration`` every test whose fixtures reach a server."""
    for item in items:
        if item.get_closest_marker("integration") is None and server_fixture(item):
            item.add_marker(pytest.mark.integration)


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
        # scripts/test.sh runs the S3 suites a second time with BUCKET_TEST_ENGINE=boto3
        "BUCKET_ENGINE": os.environ.get("BUCKET_TEST_ENGINE", "auto"),
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
            from backend.src.libs.bucket.local.store import LocalStore
        except ImportError:
            pytest.fail("LocalStore is missing (backend/src/libs/bucket/local/store.py)")
        root = tmp_path_factory.mktemp("local-store")
        store = LocalStore(BucketConfig(storage_type="local", local_root=str(root)))
    name = unique_bucket_name()
    store.create_bucket(name)
    yield StoreCase(kind=request.param, store=store, bucket=name)
    with contextlib.suppress(Exception):
        store.delete_bucket(name, force=True)
    store.close()


# ---------------------------------------------------------------- SeaweedFS (issue 3)
@pytest.fixture(scope="session")
def seaweed_server() -> Iterator[S3Server]:
    """The session's SeaweedFS: ``BUCKET_TEST_SEAWEEDFS_*`` or the project's own
    (``.servers/seaweedfs``, reused if running, stopped at the end if started here)."""
    from tests.servers import external_seaweedfs, start_seaweedfs, stop_seaweedfs

    server = external_seaweedfs()
    if server is not None:
        yield server
        return
    try:
        server, started = start_seaweedfs()
    except Exception as exc:
        pytest.fail(
            f"could not start SeaweedFS ({exc}); set BUCKET_TEST_SEAWEEDFS_ENDPOINT, "
            "BUCKET_TEST_SEAWEEDFS_ACCESS_KEY and BUCKET_TEST_SEAWEEDFS_SECRET_KEY",
            pytrace=False,
        )
    yield server
    if started and os.environ.get("BUCKET_TEST_KEEP_SERVERS") != "1":
        stop_seaweedfs()


# feature -> server -> why the server cannot do it (docs/compatibility.md says the same)
SERVER_GAPS: dict[str, dict[str, str]] = {
    "sse-s3": {"ceph": "Ceph RGW 16 has no SSE-S3 (it accepts the header and stores plaintext)"},
    "bucket-encryption": {"ceph": "Ceph RGW 16 has no bucket default encryption"},
    "sse-kms": {"seaweedfs": "SeaweedFS without a KMS provider answers SSE-KMS with InternalError"},
    "lifecycle-transitions": {
        "seaweedfs": "SeaweedFS 4.48 refuses lifecycle transitions (NotImplemented)"
    },
    "path-like-keys": {
        "seaweedfs": "SeaweedFS 4.48 keeps keys as file paths: it normalises 'a//b' and "
        "'/lead', refuses dot segments and reads 'dir/' as a folder"
    },
    "write-once-versioned": {
        "ceph": "Ceph RGW 16 ignores If-None-Match on versioned buckets (adds a version)"
    },
}


@dataclass
class ServerCase:
    """One real server under test, an ``S3Store`` on it and a fresh bucket."""

    name: str
    server: S3Server
    store: S3Store
    bucket: str

    def need(self, feature: str) -> None:
        """Skip this test on this server when the server lacks ``feature``."""
        reason = SERVER_GAPS.get(feature, {}).get(self.name)
        if reason:
            pytest.skip(f"{self.name}: {reason}")

    def config(self, **overrides: object) -> BucketConfig:
        """Settings for this server (with ``overrides``)."""
        return config_for(self.server, **overrides)

    def new_bucket(self, **options: object) -> str:
        """Another fresh bucket (deleted at the end of the test by ``cleanup``)."""
        name = unique_bucket_name()
        self.store.create_bucket(name, **options)  # type: ignore[arg-type]
        self.extra.append(name)
        return name

    extra: list[str] = field(default_factory=list)


@pytest.fixture(params=["ceph", "seaweedfs"])
def s3case(request: pytest.FixtureRequest) -> Iterator[ServerCase]:
    """The same test on Ceph RGW and SeaweedFS, each with a fresh bucket."""
    server = request.getfixturevalue("ceph_server" if request.param == "ceph" else "seaweed_server")
    store = S3Store(config_for(server))
    name = unique_bucket_name()
    store.create_bucket(name)
    case = ServerCase(name=request.param, server=server, store=store, bucket=name)
    yield case
    for bucket in [name, *case.extra]:
        with contextlib.suppress(Exception):
            store.delete_bucket(bucket, force=True)
    store.close()
