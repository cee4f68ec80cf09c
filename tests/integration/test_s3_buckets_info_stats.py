"""Issue 3 items 7-8: ensure_bucket with creation config, name rules, info, stats, health check."""

from __future__ import annotations

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, InvalidArgument
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.validation import check_bucket_name
from tests.conftest import ServerCase, unique_bucket_name
from tests.integration._helpers import RequestLog


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("Upper-case", "lowercase"),
        ("under_score", "lowercase"),
        ("-start", "start and end"),
        ("end-", "start and end"),
        ("a..b", "two adjacent periods"),
        ("192.168.1.1", "IP address"),
        ("xn--bucket", "xn--"),
        ("bucket-s3alias", "-s3alias"),
    ],
)
def test_bucket_name_rules(name: str, rule: str) -> None:
    """Each naming rule is checked before any request, and the message names it."""
    with pytest.raises(InvalidArgument, match=rule):
        check_bucket_name(name)


def test_valid_names_pass() -> None:
    """Names that follow every rule are accepted unchanged."""
    for name in ("abc", "my.bucket-1", "a" * 63, "1bucket"):
        assert check_bucket_name(name) == name


def test_ensure_bucket_creates_and_configures(s3case: ServerCase) -> None:
    """ensure_bucket creates a missing bucket with versioning and the lifecycle policy
    from settings, and leaves an existing bucket alone."""
    s3case.need("lifecycle-transitions")
    config = s3case.config(create_versioning=True, create_lifecycle=True)
    bucket = Bucket(config=config)
    name = unique_bucket_name("ens")
    s3case.extra.append(name)
    assert bucket.ensure_bucket(name) == bucket.success
    info = s3case.store.get_bucket_info(name)
    assert info.versioning == "Enabled"
    assert info.lifecycle[0].transitions == ((30, "STANDARD_IA"), (90, "GLACIER"))
    assert bucket.ensure_bucket(name) == bucket.success  # exists: fine, untouched


def test_ensure_bucket_with_encryption(s3case: ServerCase) -> None:
    """ensure_bucket(encryption='AES256') creates the bucket and sets default encryption
    (its report: bucket created, encryption set)."""
    s3case.need("bucket-encryption")
    name = unique_bucket_name("enc")
    s3case.extra.append(name)
    report = s3case.store.ensure_bucket(name, encryption="AES256")
    assert report.ok and report.created
    assert (report.outcome("bucket"), report.outcome("encryption")) == ("created", "set")
    assert s3case.store.get_bucket_info(name).encryption == "AES256"


def test_ensure_bucket_invalid_name_makes_no_request(facade: Bucket) -> None:
    """An invalid name returns error before any request."""
    assert facade.ensure_bucket("Bad_Name") == facade.error
    assert isinstance(facade.last_error, InvalidArgument)


def test_bucket_info(s3case: ServerCase) -> None:
    """get_bucket_info reports region, versioning and (absent) lock."""
    s3case.store.set_versioning(s3case.bucket, True)
    info = s3case.store.get_bucket_info(s3case.bucket)
    assert info.name == s3case.bucket and info.region
    assert info.versioning == "Enabled"
    assert info.object_lock is None or info.object_lock.enabled is False


def test_bucket_stats_over_every_page(s3case: ServerCase) -> None:
    """Stats count every object over several pages, per top-level prefix and class."""
    store, b = s3case.store, s3case.bucket
    for i in range(12):
        store.put_object(b, f"img/{i}.png", b"x" * 10)
    for i in range(5):
        store.put_object(
            b,
            f"doc/{i}.txt",
            b"y" * 3,
            options=WriteOptions(storage_class="STANDARD_IA"),
        )
    store.put_object(b, "root.txt", b"z")
    log = RequestLog(store.client)
    stats = store.get_bucket_stats(b, page_size=5)
    assert stats.objects == 18 and stats.bytes == 12 * 10 + 5 * 3 + 1
    assert stats.by_prefix["img/"].objects == 12 and stats.by_prefix["doc/"].bytes == 15
    assert stats.by_prefix[""].objects == 1
    assert stats.by_storage_class["STANDARD_IA"].objects == 5
    assert stats.pages == 4 == log.count("GET")
    with pytest.raises(AttributeError):
        stats.total = None  # type: ignore[misc]  # frozen


def test_health_check_costs_one_request(s3case: ServerCase) -> None:
    """health_check sends exactly one request, records latency and returns True."""
    bucket = Bucket(config=s3case.config())
    log = RequestLog(bucket.store.client)  # type: ignore[attr-defined]
    assert bucket.health_check() is True
    assert len(log.requests) == 1
    assert bucket.last_latency is not None and bucket.last_latency > 0


def test_health_check_never_raises() -> None:
    """Against a closed port health_check returns False, latency None, no exception."""
    config = BucketConfig.from_env(
        {"S3_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "a",
         "AWS_SECRET_ACCESS_KEY": "b", "BUCKET_MAX_RETRIES": "0", "BUCKET_CONNECT_TIMEOUT": "1"}
    )
    bucket = Bucket(config=config)
    assert bucket.health_check() is False
    assert bucket.last_latency is None and bucket.last_error is not None
