"""One rule for user-metadata values on every store (issue 15, item 15): printable ASCII
(space to ``~``), no space at either end, checked before any request; a local -> S3 sync
carries every value the local store accepted; a signature refusal is not blamed on the
password alone."""

from __future__ import annotations

import pytest

from backend.src.libs.bucket import AuthenticationFailed, Bucket, InvalidArgument
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.features.sync import sync
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase, StoreCase
from tests.faults.conftest import ProxiedConfig, direct, fault_bucket, proxied_config, proxy
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.integration

__all__ = ["direct", "fault_bucket", "proxied_config", "proxy"]  # the proxy fixtures, shared

REFUSED = {
    "tab": ("a\tb", "control characters"),
    "newline": ("a\nb", "control characters"),
    "del": ("a\x7fb", "control characters"),
    "e-acute": ("café", "non-ASCII"),
    "cjk": ("中文", "non-ASCII"),
    "nbsp": ("a\u00a0b", "non-ASCII"),
    "leading-space": (" lead", "start or end with a space"),
    "trailing-space": ("trail ", "start or end with a space"),
}
KEPT = ["plain", "inner  spaces kept", "~!@#$%^&*()_+-=[]{}|;:'\",.<>/?`", "=?UTF-8?B?Y2Fmw6k=?="]


@pytest.mark.parametrize("label", list(REFUSED))
def test_value_refused_on_every_store(any_store: StoreCase, label: str) -> None:
    """put_object, copy_object and set_metadata with a value holding a control character
    (tab, LF, DEL), non-ASCII text or an edge space raise InvalidArgument naming the
    metadata entry and the rule, on S3 and on the local store alike; nothing is written
    and the existing object's metadata is unchanged."""
    value, words = REFUSED[label]
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "src", b"body", options=WriteOptions(metadata={"ok": "1"}))
    calls = [
        lambda: s.put_object(b, "new", b"x", options=WriteOptions(metadata={"Note": value})),
        lambda: s.copy_object(b, "src", b, "copy", metadata={"Note": value}),
        lambda: s.set_metadata(b, "src", {"Note": value}),
    ]
    for call in calls:
        with pytest.raises(InvalidArgument) as caught:
            call()
        assert "'Note'" in str(caught.value) and words in str(caught.value)
    assert sorted(e.key for e in s.list_objects(b)) == ["src"]  # type: ignore[union-attr]
    assert dict(s.head_object(b, "src").metadata) == {"ok": "1"}


@pytest.mark.parametrize("value", KEPT, ids=["plain", "inner-spaces", "punctuation", "rfc2047-text"])
def test_value_kept_identically_on_every_store(any_store: StoreCase, value: str) -> None:
    """A value within the rule (inner runs of spaces, every ASCII punctuation mark, an
    RFC 2047 encoded-word as plain text) is read back byte for byte on both stores."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "k", b"x", options=WriteOptions(metadata={"Note": value}))
    assert dict(s.head_object(b, "k").metadata) == {"note": value}


def test_refused_before_any_request(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Through a proxy to Ceph: a tab (which Ceph answers with SignatureDoesNotMatch), DEL
    (400) or non-ASCII value makes no request at all; the facade returns error with an
    InvalidArgument, never AuthenticationFailed or a "check BUCKET_PASSWORD" hint."""
    facade = Bucket(config=proxied_config(max_retries=0))
    before = len(proxy.requests)
    for value in ("a\tb", "a\x7fb", "café", " x"):
        assert facade.upload_stream(fault_bucket, b"x", "k", metadata={"m": value}) == facade.error
        assert isinstance(facade.last_error, InvalidArgument), repr(facade.last_error)
        assert "BUCKET_PASSWORD" not in str(facade.last_error)
    assert proxy.requests[before:] == []
    assert list(direct.list_objects(fault_bucket)) == []


def test_signature_refusal_hint_names_more_than_the_password(s3_store: S3Store, bucket_name: str) -> None:
    """A tab sent to Ceph around the library's checks (raw botocore client): Ceph answers
    403 SignatureDoesNotMatch; translate keeps AuthenticationFailed but its message says
    a header may have been altered, not only "check BUCKET_PASSWORD"."""
    from backend.src.libs.bucket.s3.errors import translate

    try:
        s3_store.client.put_object(Bucket=bucket_name, Key="k", Body=b"x", Metadata={"m": "a\tb"})
    except Exception as exc:  # the server's refusal is what is checked
        error = translate(exc, bucket=bucket_name, key="k", operation="put_object")
    else:
        pytest.skip("this server accepts a tab in a metadata value")
    assert isinstance(error, AuthenticationFailed) and error.code == "SignatureDoesNotMatch"
    assert "BUCKET_PASSWORD" in str(error) and "a header was altered" in str(error)


def test_local_to_s3_sync_carries_every_accepted_value(s3case: ServerCase, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every boundary value is either refused by the local store or, once accepted there,
    synced to Ceph / SeaweedFS and read back identical: a local -> S3 sync never fails or
    changes metadata because of a value the local store took."""
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.local.store import LocalStore

    local = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path_factory.mktemp("meta"))))
    local.create_bucket("src-meta")
    accepted: dict[str, str] = {}
    for i, value in enumerate([*(v for v, _ in REFUSED.values()), *KEPT]):
        try:
            local.put_object(
                "src-meta",
                f"k{i}",
                b"x",
                options=WriteOptions(metadata={"note": value}),
            )
        except InvalidArgument:
            continue
        accepted[f"k{i}"] = value
    assert sorted(accepted.values()) == sorted(KEPT)
    report = sync(local, "src-meta", s3case.store, s3case.bucket)
    assert not report.failed, report.failed
    for key, value in accepted.items():
        assert s3case.store.head_object(s3case.bucket, key).metadata["note"] == value
    local.close()
