"""Issue 11 part 1: the store is S3 whenever a setting points at S3, never the local
folder by default; the local folder is announced when it is chosen.

These tests set the process environment (boto3 reads ``AWS_CONFIG_FILE`` and
``AWS_SHARED_CREDENTIALS_FILE`` from it) and run in a temporary working folder, so a
fallback to ``./.bucket-data`` would show up as files there.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import cli
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No storage, AWS or S3 variable in the process; HOME and the working folder are
    an empty temporary folder (no ~/.aws, no .env)."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "S3_", "BUCKET_")) or name in ("STORAGE_TYPE",):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def _aws_files(tmp: Path, *, config: str, credentials: str) -> tuple[Path, Path]:
    config_file, credentials_file = tmp / "aws-config", tmp / "aws-credentials"
    config_file.write_text(config)
    credentials_file.write_text(credentials)
    return config_file, credentials_file


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_bucket_name_region_and_shared_credentials_store_to_s3(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch, ceph_server: S3Server
) -> None:
    """Only S3_BUCKET_NAME + AWS_REGION in the environment, the keys in a shared
    credentials file and the endpoint as endpoint_url in the config file: the facade
    picks S3, boto3 reads the endpoint from the file, the bytes land on the server, and
    no local file is written."""
    port = ceph_server.endpoint.rsplit(":", 1)[1]
    config_file, credentials_file = _aws_files(
        bare_env.parent,
        # a host name, not an IP: virtual-host addressing would break, so this also
        # checks that addressing follows the endpoint boto3 reads from the file
        config=f"[default]\nregion = {ceph_server.region}\nendpoint_url = http://localhost:{port}\n",
        credentials=(
            f"[default]\naws_access_key_id = {ceph_server.access_key}\n"
            f"aws_secret_access_key = {ceph_server.secret_key}\n"
        ),
    )
    name = unique_bucket_name("sel")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("S3_BUCKET_NAME", name)
    monkeypatch.setenv("AWS_REGION", ceph_server.region)
    server = S3Store(
        BucketConfig.from_env(
            {
                "S3_ENDPOINT_URL": ceph_server.endpoint,
                "AWS_ACCESS_KEY_ID": ceph_server.access_key,
                "AWS_SECRET_ACCESS_KEY": ceph_server.secret_key,
            }
        )
    )
    server.create_bucket(name)
    try:
        config = BucketConfig.from_env(env_file=None)
        assert config.storage_type == "s3"
        assert config.endpoint_url is None
        assert config.s3_signs[:2] == ("S3_BUCKET_NAME", "AWS_REGION")
        bucket = Bucket(config=config)
        assert bucket.connect() == bucket.success, bucket.last_error
        assert bucket.upload_stream(name, io.BytesIO(b"evidence"), "case/1.bin") == bucket.success
        assert server.get_object(name, "case/1.bin") == b"evidence"
        bucket.disconnect()
        assert _files_under(bare_env) == []
    finally:
        server.delete_bucket(name, force=True)
        server.close()


def test_no_credentials_anywhere_fails_connect_and_writes_nothing(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same settings with empty shared files and no instance metadata: connect()
    returns error with a message naming the settings that chose S3 and saying no
    credentials were found; an upload fails too; nothing is written locally."""
    config_file, credentials_file = _aws_files(bare_env.parent, config="", credentials="")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("S3_BUCKET_NAME", "eje-evidence")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    bucket = Bucket(auto_connect=False)
    assert bucket.connect() == bucket.error
    error = bucket.last_error
    assert isinstance(error, ConfigError) and error.code == "NoCredentials"
    assert "S3_BUCKET_NAME" in error.message and "AWS_REGION" in error.message
    assert "no credentials found" in error.message
    assert bucket.upload_stream("eje-evidence", io.BytesIO(b"x"), "k") == bucket.error
    assert _files_under(bare_env) == [] and _files_under(bare_env.parent / "aws-config") == []
    assert not (bare_env / ".bucket-data").exists()


def test_local_store_is_announced_once_with_its_root(
    bare_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing pointing at S3 the local folder is chosen and one WARNING on the
    ``bucket`` logger names its absolute root and how to choose it on purpose; a second
    connection (a new store on the same folder) adds none."""
    caplog.set_level(logging.INFO, logger="bucket")
    bucket = Bucket(auto_connect=False)
    assert bucket.connect() == bucket.success
    assert bucket.connect() == bucket.success
    assert bucket.config.storage_type == "local"
    records = [r for r in caplog.records if r.levelno > logging.DEBUG]
    assert [(r.name, r.levelno) for r in records] == [("bucket", logging.WARNING)]
    assert records[0].getMessage() == (
        f"no setting points at S3: storing objects in the local folder {bare_env / '.bucket-data'}"
        " (LocalStore); set STORAGE_TYPE=local or BUCKET_LOCAL_ROOT to choose a local folder"
        " on purpose, or point the settings at S3 (BUCKET_HOST, S3_ENDPOINT_URL, a bucket"
        " name, a region or credentials: docs/configuration.md)"
    )


def test_explicit_local_with_s3_settings_warns_once(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """STORAGE_TYPE=local beside S3_BUCKET_NAME and AWS_REGION: the local store is used
    (explicit wins) and one WARNING names the ignored variables, not twice."""
    monkeypatch.setenv("STORAGE_TYPE", "local")
    monkeypatch.setenv("S3_BUCKET_NAME", "ignored-bucket-warn")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    caplog.set_level(logging.INFO, logger="bucket")
    for _ in range(2):
        bucket = Bucket(auto_connect=False)
        assert bucket.connect() == bucket.success
        bucket.disconnect()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "S3_BUCKET_NAME" in warnings[0] and "AWS_DEFAULT_REGION" in warnings[0]
    assert "STORAGE_TYPE=local" in warnings[0] and "eu-west-3" not in warnings[0]


def test_cli_announces_the_local_folder_on_stderr(bare_env: Path) -> None:
    """The CLI prints the local-folder line (absolute root) on stderr when no setting
    points at S3, and not with -q; health says why the store was chosen."""
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["ls"], stdout=out, stderr=err) == 0
    assert err.getvalue().splitlines() == [
        f"bucket: storing objects in the local folder {bare_env / '.bucket-data'} "
        "(LocalStore; no setting points at S3)"
    ]
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["-q", "ls"], stdout=out, stderr=err) == 0
    assert err.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["-q", "health"], stdout=out, stderr=err) == 0
    assert out.getvalue().rstrip().endswith("(chosen by: no setting points at S3)")
    assert str(bare_env / ".bucket-data") in out.getvalue()
