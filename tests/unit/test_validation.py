"""Input checks made before any request: bucket names, keys, ranges, metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import InvalidArgument
from backend.src.libs.bucket.base.validation import (
    check_bucket_name,
    check_key,
    check_metadata,
    check_range,
    range_header,
)
from backend.src.libs.bucket.local.store import LocalStore


@pytest.mark.parametrize("name", ["abc", "my-bucket", "my.bucket.v2", "a" * 63, "0start", "end9"])
def test_valid_bucket_names_pass(name: str) -> None:
    """Names following every rule are returned unchanged."""
    assert check_bucket_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("My-Bucket", "lowercase"),
        ("under_score", "lowercase"),
        ("-start", "start and end"),
        ("end-", "start and end"),
        ("a..b", "adjacent periods"),
        ("xn--punycode", "xn--"),
        ("data-s3alias", "-s3alias"),
        ("192.168.1.1", "IP address"),
    ],
)
def test_invalid_bucket_names_say_which_rule(name: str, rule: str) -> None:
    """Each broken naming rule is named in the message."""
    with pytest.raises(InvalidArgument) as caught:
        check_bucket_name(name)
    assert rule in str(caught.value)
    assert caught.value.code == "InvalidBucketName"


def test_bucket_name_must_be_text() -> None:
    """A non-string bucket name is refused with its type."""
    with pytest.raises(InvalidArgument, match="must be a string"):
        check_bucket_name(42)


@pytest.mark.parametrize(
    ("key", "fragment"),
    [("", "must not be empty"), ("a" * 1025, "1025 bytes"), ("é" * 513, "1026 bytes"), ("a\x00b", "NUL"), (None, "string")],
)
def test_invalid_keys(key: object, fragment: str) -> None:
    """Empty, over-long (in UTF-8 bytes), NUL-bearing and non-string keys are refused."""
    with pytest.raises(InvalidArgument, match=fragment):
        check_key(key)


def test_key_of_exactly_1024_utf8_bytes_passes() -> None:
    """The limit is inclusive."""
    assert check_key("a" * 1024) == "a" * 1024


@pytest.mark.parametrize(("start", "end"), [(-1, None), (None, -5), (10, 2), ("0", 4), (True, 3)])
def test_bad_ranges(start: object, end: object) -> None:
    """Negative, reversed and non-integer ranges are refused before any request."""
    with pytest.raises(InvalidArgument):
        check_range(start, end)  # type: ignore[arg-type]


def test_range_headers() -> None:
    """Inclusive ranges become HTTP Range headers; open ends are supported."""
    assert range_header(None, None) is None
    assert range_header(0, 9) == "bytes=0-9"
    assert range_header(5, None) == "bytes=5-"
    assert range_header(None, 3) == "bytes=0-3"


def test_metadata_checks() -> None:
    """Names are lowercased; oversized, non-string or control-character metadata is refused."""
    assert check_metadata({"Owner": "me"}) == {"owner": "me"}
    assert check_metadata(None) == {}
    with pytest.raises(InvalidArgument, match="2048"):
        check_metadata({"big": "x" * 3000})
    with pytest.raises(InvalidArgument, match="must be a string"):
        check_metadata({"n": 1})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgument, match="control"):
        check_metadata({"n": "a\nb"})
    with pytest.raises(InvalidArgument, match="name"):
        check_metadata({"bad name": "v"})


# ------------------------------------------------------------ portable keys
# (key, words of the refusal): keys some supported store folds or refuses (issue 22)
UNPORTABLE = [
    ("a//b", "empty segment"),
    ("a/b//", "ends with '/'"),
    ("/a", "starts with '/'"),
    ("//a", "starts with '/'"),
    ("/", "starts with '/'"),
    ("a/", "ends with '/'"),
    ("a/./b", "'.' segment"),
    ("./a", "'.' segment"),
    ("a/.", "'.' segment"),
    (".", "'.' segment"),
    ("a/../b", "'..' segment"),
    ("..", "'..' segment"),
    ("p\\q", "backslash"),
    ("a\x01b", "control character"),
    ("a\tb", "control character"),
    ("a\x7fb", "control character"),
    ("x" * 256, "256 bytes"),
    ("x" * 256 + "/f", "256 bytes"),
    ("d/" + "é" * 128, "256 bytes"),
    ("d/" + "x" * 300 + "/f", "300 bytes"),
]
PORTABLE = [
    "a/b", "a", ".a", "a.", "...", "a/.../b", "..a/b..", "a b/c ", " a", "a/b~%",
    "é" * 127 + "e", "d/" + "x" * 255, "/".join(["y" * 255] * 3 + ["y" * 254, "z"]),
]


@pytest.mark.parametrize(("key", "words"), UNPORTABLE)
def test_portable_rule_refuses_keys_some_store_folds(key: str, words: str) -> None:
    """check_key(portable=True) refuses empty, '.' and '..' segments (a leading or trailing
    '/' included), backslashes, control characters and a segment over 255 UTF-8 bytes with
    InvalidArgument (code InvalidKey) naming the key, the rule and BUCKET_PORTABLE_KEYS;
    without ``portable`` the same keys pass unchanged."""
    with pytest.raises(InvalidArgument) as caught:
        check_key(key, portable=True, bucket="b")
    message = str(caught.value)
    assert caught.value.code == "InvalidKey" and caught.value.bucket == "b"
    assert words in message and "BUCKET_PORTABLE_KEYS" in message, message
    assert check_key(key) == key


@pytest.mark.parametrize("key", PORTABLE)
def test_portable_rule_passes_ordinary_keys(key: str) -> None:
    """Dots inside a segment, '...' segments, spaces, 255-byte segments and 1024-byte keys
    are portable: check_key(portable=True) returns them unchanged."""
    assert check_key(key, portable=True) == key


def _unportable_by_definition(key: str) -> bool:
    """The portable-key rule read literally, segment by segment."""
    segments = key.split("/")
    return (
        any(s in ("", ".", "..") or len(s.encode()) > 255 for s in segments)
        or "\\" in key
        or any(ord(c) < 32 or ord(c) == 127 for c in key)
    )


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(["/", ".", "\\", "\x01", "\x7f", "a", "é", "\u200b", " "]), min_size=1, max_size=12)
    | st.lists(st.sampled_from(["x" * 255, "é" * 128, "x" * 64, "é" * 127, "a", ".", ""]), min_size=1, max_size=4).map("/".join)
)
def test_portable_rule_matches_its_definition(key: str) -> None:
    """Property: check_key(portable=True) refuses a key exactly when a segment is empty,
    '.', '..' or over 255 UTF-8 bytes, or the key holds a backslash or a control character
    (the fast scans agree with the rule; a refusal always names a rule)."""
    if key == "" or len(key.encode()) > 1024:
        return  # the generic rules' (test_invalid_keys)
    try:
        check_key(key, portable=True)
    except InvalidArgument as exc:
        assert exc.code == "InvalidKey" and "BUCKET_PORTABLE_KEYS" in exc.message
        assert _unportable_by_definition(key), key
        return
    assert not _unportable_by_definition(key), key


def test_portable_rule_keeps_the_generic_messages() -> None:
    """The generic rules come first: an empty, NUL-bearing or over-long key is refused with
    its own message (not the portable rule's), portable or not."""
    for key, fragment in (("", "must not be empty"), ("a\x00b", "NUL"), ("a/" * 600, "1200 bytes")):
        with pytest.raises(InvalidArgument, match=fragment):
            check_key(key, portable=True)


def test_portable_keys_setting_defaults_on() -> None:
    """BUCKET_PORTABLE_KEYS is true by default and reads ``false``."""
    assert BucketConfig.from_env({}).portable_keys is True
    assert BucketConfig.from_env({"BUCKET_PORTABLE_KEYS": "false"}).portable_keys is False


def _local(root: Path, **overrides: object) -> LocalStore:
    store = LocalStore(BucketConfig(storage_type="local", local_root=str(root), **overrides))  # type: ignore[arg-type]
    store.create_bucket("unit-bucket")
    return store


@pytest.mark.parametrize(("key", "words"), [("a//b", "empty segment"), ("a/", "ends with '/'"),
                                            ("a/./b", "'.' segment"), ("d/" + "x" * 256, "256 bytes")])
def test_local_store_refuses_unportable_keys_by_default(tmp_path: Path, key: str, words: str) -> None:
    """LocalStore with the default settings refuses the keys another store would fold
    (which a folder could hold: '%' is an empty segment) before touching the disk, naming
    the rule and BUCKET_PORTABLE_KEYS; nothing is written."""
    store = _local(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InvalidArgument) as caught:
        store.put_object("unit-bucket", key, b"X")
    assert words in str(caught.value) and "BUCKET_PORTABLE_KEYS" in str(caught.value)
    with pytest.raises(InvalidArgument):
        store.get_object("unit-bucket", key)
    assert sorted(tmp_path.rglob("*")) == before
    assert list(store.list_objects("unit-bucket")) == []


def test_local_store_without_portable_keys_keeps_aliases_apart(tmp_path: Path) -> None:
    """LocalStore with BUCKET_PORTABLE_KEYS=false stores ``a//b`` and ``a/b``, ``a/`` and
    ``a``, ``a/./b`` as distinct objects; what a folder cannot hold ('..', a leading '/',
    a backslash) is still refused, naming the local store."""
    store = _local(tmp_path, portable_keys=False)
    keys = ["a//b", "a/b", "a/", "a", "a/./b"]
    for key in keys:
        store.put_object("unit-bucket", key, key.encode())
    for key in keys:
        assert store.get_object("unit-bucket", key) == key.encode()
    listed = [e.key for e in store.list_objects("unit-bucket")]  # type: ignore[union-attr]
    assert sorted(listed) == sorted(keys)
    for key in ("a/../b", "/a", "p\\q"):
        with pytest.raises(InvalidArgument, match="the local store refuses it"):
            store.put_object("unit-bucket", key, b"X")
