"""Capabilities and declared options on real stores: the same facade calls succeed on
Ceph RGW and are refused on the local folder store, before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, NotSupported
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration


@pytest.fixture(params=["ceph", "local"])
def bucket_and_name(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Bucket, str]]:
    """A facade on Ceph or on a local folder, with a fresh bucket."""
    if request.param == "ceph":
        server: S3Server = request.getfixturevalue("ceph_server")
        config = config_for(server)
    else:
        config = BucketConfig(storage_type="local", local_root=str(tmp_path / "root"))
    facade = Bucket(config=config)
    name = unique_bucket_name("cap")
    assert facade.create_bucket(name) == facade.success
    yield request.param, facade, name
    facade.delete_bucket(name, force=True)
    facade.disconnect()


def test_versioning_is_a_capability(bucket_and_name: tuple[str, Bucket, str]) -> None:
    """set_versioning works on Ceph (read back Enabled); on the local store it returns
    error with NotSupported naming the Versioning capability and LocalStore."""
    kind, facade, name = bucket_and_name
    result = facade.set_versioning(name, enabled=True)
    if kind == "ceph":
        assert result == facade.success
        assert facade.get_versioning(name) == "Enabled"
        return
    assert result == facade.error
    assert isinstance(facade.last_error, NotSupported)
    assert "Versioning capability" in facade.last_error.message
    assert "LocalStore" in facade.last_error.message


def test_undeclared_option_refused_before_writing(bucket_and_name: tuple[str, Bucket, str]) -> None:
    """upload_stream with storage_class is stored on Ceph; the local store refuses the
    undeclared option with NotSupported naming it, and no object appears."""
    kind, facade, name = bucket_and_name
    result = facade.upload_stream(name, b"payload", "k", storage_class="STANDARD_IA")
    if kind == "ceph":
        assert result == facade.success
        assert facade.download_stream(name, "k") == b"payload"
        return
    assert result == facade.error
    assert isinstance(facade.last_error, NotSupported)
    assert "storage_class" in facade.last_error.message
    assert facade.file_exists(name, "k") is False
