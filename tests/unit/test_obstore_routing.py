"""The typed routing rule of the obstore data plane (``obstore_engine``): which engine a
store gets, and which keys, writes and reads obstore may carry. The real-server side of
each route is in ``tests/integration/test_engines.py``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.src.libs.bucket import BucketConfig, ConfigError
from backend.src.libs.bucket.base.errors import (
    AuthenticationFailed,
    BucketNotFound,
    ConnectionFailed,
    ObjectNotFound,
)
from backend.src.libs.bucket.s3.args import WriteArgs
from backend.src.libs.bucket.s3.errors import EngineError, translate
from backend.src.libs.bucket.s3.obstore import (
    ATTRIBUTE_ALIASES,
    SMALL_OBJECT,
    choose_engine,
    downloads,
    is_attribute_name,
    key_ok,
    large_writes,
    metadata_ok,
    reads,
    writes,
)

S3 = {"S3_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}


def _config(**env: str) -> BucketConfig:
    return BucketConfig.from_env({**S3, **env})


@pytest.mark.parametrize(
    ("env", "injected", "engine"),
    [
        ({}, False, "obstore"),  # auto: obstore is installed, path-style custom endpoint
        ({"BUCKET_ENGINE": "boto3"}, False, "boto3"),
        ({"BUCKET_ENGINE": "obstore"}, False, "obstore"),
        ({}, True, "boto3"),  # a client handed in carries everything
        ({"BUCKET_SIGNATURE_VERSION": "s3"}, False, "boto3"),
        ({"BUCKET_ADDRESSING_STYLE": "virtual"}, False, "boto3"),
    ],
)
def test_engine_choice(env: dict[str, str], injected: bool, engine: str) -> None:
    """BUCKET_ENGINE=auto is obstore unless the settings need boto3 (SigV2, a custom
    endpoint addressed virtual-hosted) or a client was handed in; boto3 is always boto3."""
    assert choose_engine(_config(**env), injected=injected) == engine


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"BUCKET_SIGNATURE_VERSION": "s3"}, "SigV4"),
        ({"BUCKET_ADDRESSING_STYLE": "virtual"}, "BUCKET_ADDRESSING_STYLE"),
    ],
)
def test_obstore_asked_where_it_cannot_serve_names_the_setting(
    env: dict[str, str], words: str
) -> None:
    """BUCKET_ENGINE=obstore with settings obstore cannot carry is a ConfigError naming
    BUCKET_ENGINE and the setting in the way, before any request."""
    with pytest.raises(ConfigError) as caught:
        choose_engine(_config(BUCKET_ENGINE="obstore", **env), injected=False)
    assert "BUCKET_ENGINE=obstore" in caught.value.message
    assert words in caught.value.message


def test_unknown_engine_is_refused_by_name() -> None:
    """BUCKET_ENGINE takes auto, obstore or boto3; anything else names the variable."""
    with pytest.raises(ConfigError) as caught:
        _config(BUCKET_ENGINE="rust")
    assert "BUCKET_ENGINE" in caught.value.message


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a/b.txt", True),
        ("sp ace/é", True),
        ("pct%41?x#y+~", True),
        ("back\\slash{}", True),
        ("dir/", False),  # obstore would read "dir"
        ("/lead", False),  # obstore would read "lead"
        ("a//b", False),
        ("a/./b", False),
        ("x/../y", False),
        ("..", False),
        ("ctl\x01k", False),
        ("del\x7fk", False),
    ],
)
def test_keys_obstore_cannot_hold_exactly_go_to_boto3(key: str, ok: bool) -> None:
    """key_ok is True only where obstore's path is the key itself (probed on Ceph: a
    trailing or leading slash is dropped, empty/dot segments and controls refused)."""
    assert key_ok(key) is ok


def test_plain_small_write_goes_to_obstore_with_its_attributes_and_tags() -> None:
    """Content type, cache control, storage class, metadata and tags become obstore's
    attributes and tags."""
    args: WriteArgs = {
        "ContentType": "text/plain",
        "CacheControl": "no-cache",
        "StorageClass": "STANDARD_IA",
        "Metadata": {"color": "blue"},
        "Tagging": "team=a-b_c.d~e&empty=",
    }
    form = writes(args, 10)
    assert form is not None
    assert form.attributes == {
        "color": "blue",
        "Content-Type": "text/plain",
        "Cache-Control": "no-cache",
        "Storage-Class": "STANDARD_IA",
    }
    assert form.tags == {"team": "a-b_c.d~e", "empty": ""}


@pytest.mark.parametrize(
    ("args", "size"),
    [
        ({"ContentType": "x/y"}, SMALL_OBJECT + 1),
        ({"ServerSideEncryption": "AES256"}, 1),
        ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}, 1),
        ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key"}, 1),
        ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": datetime.now(UTC)}, 1),
        ({"ObjectLockLegalHoldStatus": "ON"}, 1),
        ({"Metadata": {"Content-Type": "shadow"}}, 1),  # would become obstore's attribute
        ({"Metadata": {"storage-class": "x"}}, 1),
        ({"Tagging": "team=a%20b"}, 1),  # obstore would send "a+b"
        ({"Tagging": "k=a%2Bb"}, 1),
    ],
)
def test_writes_obstore_cannot_express_go_to_boto3(args: WriteArgs, size: int) -> None:
    """Encryption, object lock, metadata named like an obstore attribute, tags beyond
    letters, digits and _.~- and bodies over SMALL_OBJECT are boto3's (writes is None)."""
    assert writes(args, size) is None


def test_reads_with_a_version_or_a_customer_key_go_to_boto3() -> None:
    """Only a read of the latest version without SSE-C or conditions is obstore's."""
    assert reads({"Bucket": "b", "Key": "k"}) is True
    assert reads({"Bucket": "b", "Key": "k", "Range": "bytes=0-1"}) is True
    assert reads({"Bucket": "b", "Key": "k", "VersionId": "v"}) is False
    assert reads({"Bucket": "b", "Key": "k", "SSECustomerKey": "x"}) is False


def test_downloads_with_a_customer_key_or_a_condition_go_to_boto3() -> None:
    """A download to a file is obstore's for the latest or a given version; an SSE-C key
    (obstore cannot send one) or a condition sends it to boto3."""
    assert downloads({"Bucket": "b", "Key": "k"}) is True
    assert downloads({"Bucket": "b", "Key": "k", "VersionId": "v"}) is True
    assert downloads({"Bucket": "b", "Key": "k", "SSECustomerAlgorithm": "AES256",
                      "SSECustomerKey": "x"}) is False
    assert downloads({"Bucket": "b", "Key": "k", "IfMatch": "e"}) is False


def test_large_plain_write_goes_to_obstore_at_any_size() -> None:
    """A multipart upload with content type, cache control, storage class, metadata and
    plain tags is obstore's, whatever its size, with the attributes and tags of writes."""
    args: WriteArgs = {
        "ContentType": "text/plain",
        "CacheControl": "no-cache",
        "StorageClass": "STANDARD_IA",
        "Metadata": {"color": "blue"},
        "Tagging": "team=blue",
    }
    form = large_writes(args, write_once=False)
    small = writes(args, 1)
    assert form is not None and small is not None
    assert (form.attributes, form.tags) == (small.attributes, small.tags)
    assert large_writes({}, write_once=False) is not None


@pytest.mark.parametrize(
    "args",
    [
        {"ServerSideEncryption": "AES256"},
        {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32},
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key"},
        {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": datetime.now(UTC)},
        {"ObjectLockLegalHoldStatus": "ON"},
        {"Metadata": {"Content-Type": "shadow"}},
        {"Tagging": "team=a%20b"},
    ],
)
def test_large_writes_obstore_cannot_express_go_to_s3transfer(args: WriteArgs) -> None:
    """Encryption, object lock, an attribute-named metadata key and a tag obstore would
    encode differently keep a multipart upload on s3transfer (large_writes is None)."""
    assert large_writes(args, write_once=False) is None


def test_write_once_multipart_goes_to_s3transfer() -> None:
    """A write-once upload above the threshold is never obstore's (its create mode would
    buffer the whole body): large_writes is None even with no other option."""
    assert large_writes({}, write_once=True) is None
    assert large_writes({"ContentType": "x/y"}, write_once=True) is None


# ------------------------------------------ metadata named like an obstore attribute
# obstore/src/attributes.rs (PyAttribute::extract): these, ASCII-lowercased, are headers
OBSTORE_ALIASES = {
    "content-disposition", "contentdisposition",
    "content-encoding", "contentencoding",
    "content-language", "contentlanguage",
    "content-type", "contenttype",
    "cache-control", "cachecontrol",
    "storage-class", "storageclass",
}  # fmt: skip


def _spellings(name: str) -> list[str]:
    """``name`` in lower, upper, title, swapped and alternating case."""
    alternating = "".join(c.upper() if i % 2 else c for i, c in enumerate(name))
    return sorted({name, name.upper(), name.title(), name.title().swapcase(), alternating})


ALIAS_SPELLINGS = [s for alias in sorted(OBSTORE_ALIASES) for s in _spellings(alias)]
# near misses: obstore sends each as user metadata (x-amz-meta-<name>)
NOT_ALIASES = [
    "content_type", "Content_Encoding", "cache_control", "storage_class", "content-types",
    "xcontenttype", "content--type", "content.type", "contentmd5", "content-md5", "expires",
    "x-amz-storage-class", "x-amz-meta-content-type", "color", "Color", "my-key", "my_key",
    "contentencodinG2", "cachecontro",
]  # fmt: skip


CANONICAL = ("Content-Disposition", "Content-Encoding", "Content-Language", "Content-Type",
             "Cache-Control", "Storage-Class")  # fmt: skip


def _obstore_reads_as_header(name: str) -> bool:
    """What the installed obstore does with ``name`` as an attributes key: put beside the
    six attributes in their canonical spelling on obstore's in-memory store, an alias
    becomes one of them (six attributes come back), user metadata is a seventh."""
    import obstore
    from obstore.store import MemoryStore

    memory = MemoryStore()
    attributes = {header: "canonical" for header in CANONICAL}
    if name not in attributes:
        attributes[name] = "v"
    obstore.put(memory, "k", b"x", attributes=attributes)
    back = dict(obstore.get(memory, "k").attributes)
    assert set(CANONICAL) <= set(back)
    return len(back) == len(CANONICAL)


def test_the_alias_list_is_obstores() -> None:
    """ATTRIBUTE_ALIASES is exactly the twelve names of obstore's attributes.rs, and the
    installed obstore reads each as a header and none of the near misses as one (so a
    new obstore that changes the list fails here)."""
    assert ATTRIBUTE_ALIASES == OBSTORE_ALIASES
    for name in [*ALIAS_SPELLINGS, *NOT_ALIASES]:
        assert _obstore_reads_as_header(name) is is_attribute_name(name), name


@pytest.mark.parametrize("name", ALIAS_SPELLINGS)
def test_metadata_named_like_an_attribute_goes_to_boto3(name: str) -> None:
    """User metadata named like any obstore attribute, in any case, with or without its
    dash (``contentencoding``, ``CacheControl``, ``STORAGE-CLASS``) keeps the write off
    obstore, which would send it as the object's own header: writes and large_writes are
    None, for a small body and a multipart upload alike, beside other metadata too."""
    assert is_attribute_name(name)
    assert not metadata_ok({"color": "blue", name: "v"})
    for metadata in ({name: "v"}, {"color": "blue", name: "v"}):
        args: WriteArgs = {"ContentType": "text/plain", "Metadata": metadata}
        assert writes(args, 5) is None
        assert large_writes(args, write_once=False) is None


@pytest.mark.parametrize("name", NOT_ALIASES)
def test_metadata_obstore_sends_as_metadata_stays_on_obstore(name: str) -> None:
    """A metadata name obstore sends as ``x-amz-meta-<name>`` (an underscore, another
    header's name, a near miss) keeps the write on obstore, the name as given among its
    attributes, for a small body and a multipart upload."""
    assert not is_attribute_name(name)
    args: WriteArgs = {"ContentType": "text/plain", "Metadata": {name: "v"}}
    small = writes(args, 5)
    large = large_writes(args, write_once=False)
    assert small is not None and large is not None
    assert small.attributes == large.attributes == {name: "v", "Content-Type": "text/plain"}


def test_sync_calls_and_async_twins_ask_one_route() -> None:
    """Each hot S3Store call and its async twin (AsyncBucket's event-loop route) ask the
    same route function, and the put route decides with obstore_engine.writes: one
    routing decision per operation, no copy of the rule."""
    import inspect

    from backend.src.libs.bucket.s3 import obstore as obstore_engine
    from backend.src.libs.bucket.s3 import store as s3_store
    from backend.src.libs.bucket.s3.store import S3Store

    routes = {
        "_put_route": ("_put_small", "aput_object"),
        "_get_route": ("get_object", "aget_object"),
        "_head_route": ("object_exists", "aobject_exists"),
        "_delete_route": ("delete_object", "adelete_object"),
    }
    for route, callers in routes.items():
        for caller in callers:
            assert f"self.{route}(" in inspect.getsource(getattr(S3Store, caller)), caller
    assert vars(s3_store)["writes"] is obstore_engine.writes


NOT_FOUND = (
    "Object at location k not found: Error performing GET http://h/b/k in 1ms - Server "
    "returned non-2xx status code: 404 Not Found: <?xml version=\"1.0\"?><Error><Code>"
    "NoSuchBucket</Code><Message></Message><RequestId>tx1</RequestId></Error>\n\nDebug source:"
)


def test_obstore_errors_become_the_same_tree() -> None:
    """obstore's quoted S3 answer gives the class, code, status and request id; a timeout
    is ConnectionFailed/Timeout; an unreachable server ConnectionFailed; the debug dump and
    a registered secret never reach the message."""
    from backend.src.libs.bucket.base import redact

    missing = translate(EngineError(FileNotFoundError(NOT_FOUND)), bucket="b", key="k")
    assert isinstance(missing, BucketNotFound)
    assert (missing.code, missing.status, missing.request_id) == ("NoSuchBucket", 404, "tx1")
    bare = translate(
        EngineError(FileNotFoundError("x: Server returned non-2xx status code: 404 Not Found: ")),
        key="k",
    )
    assert isinstance(bare, ObjectNotFound) and bare.code == "NoSuchKey"
    denied = translate(
        EngineError(PermissionError("status code: 403 Forbidden: <Code>SignatureDoesNotMatch</Code>"))
    )
    assert isinstance(denied, AuthenticationFailed)
    timed = translate(EngineError(RuntimeError("HTTP error\n\nkind: Timeout, TimedOut")))
    assert isinstance(timed, ConnectionFailed) and timed.code == "Timeout"
    redact.register("s3cr3t-value-123")
    refused = translate(
        EngineError(RuntimeError("error sending request to s3cr3t-value-123\n\nDebug source: x"))
    )
    assert isinstance(refused, ConnectionFailed)
    assert "s3cr3t-value-123" not in refused.message and "Debug source" not in refused.message
