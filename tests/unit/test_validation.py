"""Input checks made before any request: bucket names, keys, ranges, metadata."""

from __future__ import annotations

import pytest

from backend.src.libs.bucket.errors import InvalidArgument
from backend.src.libs.bucket.validation import (
    check_bucket_name,
    check_key,
    check_metadata,
    check_range,
    range_header,
)


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
