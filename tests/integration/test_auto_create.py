"""Issue 11 part 2: the default bucket made ready at start (seed 000), set up with the
archive preset (seed 002), a per-step report, and the key prefix as a folder; on Ceph
RGW and SeaweedFS."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, unique_bucket_name

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_connect_creates_the_default_bucket_with_the_archive_preset(s3case: ServerCase) -> None:
    """connect() with BUCKET_NAME and the archive preset creates the bucket, enables
    versioning and sets the lifecycle under the prefix folder; Ceph's refusal of bucket
    encryption is an 'unsupported' step, not an error."""
    name = unique_bucket_name("auto")
    s3case.extra.append(name)
    config = s3case.config(default_bucket=name, create_preset="archive", prefix="design-analysis")
    bucket = Bucket(config=config, auto_connect=False)
    assert s3case.store.bucket_exists(name) is False
    assert bucket.connect() == bucket.success, bucket.last_error
    report = bucket.bucket_report
    assert report is not None and report.ok and report.created
    assert [s.name for s in report.steps] == ["bucket", "versioning", "encryption", "lifecycle"]
    assert s3case.store.bucket_exists(name) is True
    assert s3case.store.get_versioning(name) == "Enabled"
    if s3case.name == "ceph":
        assert report.outcome("encryption") == "unsupported"
        raw = s3case.store.client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        assert [r["Filter"]["Prefix"] for r in raw] == ["design-analysis/"]
        assert raw[0]["Expiration"] == {"Days": 365}
        assert raw[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert sorted((t["Days"], t["StorageClass"]) for t in raw[0]["Transitions"]) == [
            (30, "STANDARD_IA"),
            (90, "GLACIER"),
        ]
    else:  # SeaweedFS refuses lifecycle transitions (NotImplemented)
        assert report.outcome("lifecycle") in ("set", "unsupported")
    again = Bucket(config=config, auto_connect=False)
    assert again.connect() == again.success
    assert again.bucket_report is not None and again.bucket_report.outcome("bucket") == "exists"


def test_first_operation_creates_the_default_bucket_and_auto_create_off(
    s3case: ServerCase,
) -> None:
    """Without connect(), the first operation makes the default bucket; with
    BUCKET_AUTO_CREATE off connect() creates nothing and fails on the missing bucket."""
    name = unique_bucket_name("auto")
    s3case.extra.append(name)
    off = Bucket(config=s3case.config(default_bucket=name, auto_create=False), auto_connect=False)
    assert off.connect() == off.error
    assert s3case.store.bucket_exists(name) is False
    on = Bucket(config=s3case.config(default_bucket=name))
    assert on.upload_stream(name, io.BytesIO(b"hello"), "k") == on.success
    assert s3case.store.get_object(name, "k") == b"hello"


def test_ensure_bucket_report_on_refused_encryption(s3case: ServerCase) -> None:
    """ensure_bucket returns one step per action; an encryption the server does not
    implement (Ceph RGW 16) is 'unsupported' and the call stays ok, versioning is set."""
    name = unique_bucket_name("rep")
    s3case.extra.append(name)
    report = s3case.store.ensure_bucket(name, versioning=True, encryption="AES256")
    assert report.ok and report.created
    assert report.outcome("versioning") == "set"
    expected = "unsupported" if s3case.name == "ceph" else "set"
    assert report.outcome("encryption") == expected
    facade = Bucket(config=s3case.config(), auto_connect=False)
    assert facade.ensure_bucket(name, encryption="AES256") == facade.success
    assert facade.bucket_report is not None
    assert facade.bucket_report.outcome("bucket") == "exists"


_RACER = """
import sys
from backend.src.libs.bucket.bucket import Bucket
from backend.src.libs.bucket.base.config import BucketConfig
b = Bucket(config=BucketConfig.from_env(env_file=None), auto_connect=False)
code = b.connect()
print(code, b.bucket_report.outcome("bucket") if b.bucket_report else None, b.last_error)
sys.exit(code)
"""


def test_two_processes_starting_at_once_end_with_one_bucket(s3case: ServerCase) -> None:
    """Two processes connect at the same moment with the same new default bucket: both
    succeed and the bucket exists once."""
    name = unique_bucket_name("race")
    s3case.extra.append(name)
    server = s3case.server
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "PYTHONPATH": str(ROOT),
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": server.region,
        "S3_BUCKET_NAME": name,
        "BUCKET_CREATE_PRESET": "archive",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    outcomes = sorted(out.split()[1] for _, out in results)
    assert set(outcomes) <= {"created", "exists"} and "created" in outcomes
    assert [b.name for b in s3case.store.list_buckets()].count(name) == 1


def test_prefix_is_a_folder_on_the_server(s3case: ServerCase) -> None:
    """S3_PREFIX=design-analysis stores analysis/2024/01/x.json as
    design-analysis/analysis/2024/01/x.json (not design-analysisanalysis/...); listings
    give the key back without the folder."""
    store = S3Store(s3case.config(prefix="design-analysis"))
    try:
        store.put_object(s3case.bucket, "analysis/2024/01/x.json", b"{}")
        raw = s3case.store.client.list_objects_v2(Bucket=s3case.bucket)["Contents"]
        assert [o["Key"] for o in raw] == ["design-analysis/analysis/2024/01/x.json"]
        listed = [e.key for e in store.list_objects(s3case.bucket, prefix="analysis/")]
        assert listed == ["analysis/2024/01/x.json"]
        assert store.get_object(s3case.bucket, "analysis/2024/01/x.json") == b"{}"
    finally:
        store.close()
