"""Input checks made before any request: bucket names, keys, ranges, metadata.

Each check raises ``InvalidArgument`` with a message that names the argument and
the rule it breaks, so callers never pay for a round trip to learn it.

Messages name arguments in the core's vocabulary (``bucket``, ``key``, ``keys``,
``path``). A caller with its own names (the ``Bucket`` facade: ``bucket_name``,
``key_name``, ``file_path``...) runs the core inside ``naming({...})``, and every message
raised within names its arguments instead (``named``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import TypeVar

from backend.src.libs.bucket.base.errors import InvalidArgument

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255
MAX_METADATA_BYTES = 2048
PORTABLE_KEYS_SETTING = "BUCKET_PORTABLE_KEYS"

T = TypeVar("T")
_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_META_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
# A key some supported store folds or refuses (``check_portable_key``): an empty, ``.`` or
# ``..`` segment (a leading, doubled or trailing ``/`` makes an empty one), a backslash or a
# control character. ``_is_unportable`` finds them with C string scans and expressions led
# by a literal (a search of ``_UNPORTABLE``, which tries its alternatives at every position,
# costs ~1 us a key; the scans ~0.1-0.3 us); ``_UNPORTABLE`` names the rule of a refused key.
_UNPORTABLE = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|[\\\x00-\x1f\x7f]")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
_LEADING_DOT_SEGMENT = re.compile(r"\.\.?(?:/|$)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMES: ContextVar[Mapping[str, str] | None] = ContextVar("argument_names", default=None)


@contextlib.contextmanager
def naming(names: Mapping[str, str]) -> Iterator[None]:
    """Within the block (this thread or task), messages name the core's arguments as
    ``names`` says (e.g. ``{"key": "key_name"}``); the others keep the core's name."""
    token = _NAMES.set(names)
    try:
        yield
    finally:
        _NAMES.reset(token)


def run_named(names: Mapping[str, str], func: Callable[[], T]) -> T:
    """``func()`` with messages naming the arguments as ``names`` says (``naming`` without
    a context manager: the facade's path for every call, ~0.6 us cheaper)."""
    token = _NAMES.set(names)
    try:
        return func()
    finally:
        _NAMES.reset(token)


def named(argument: str) -> str:
    """``argument`` as the current caller calls it (``naming``): ``"key"`` is
    ``"key_name"`` inside the facade; ``"keys[3]"`` follows ``"keys"``."""
    head, bracket, rest = argument.partition("[")
    names = _NAMES.get() or {}
    return names.get(head, head) + bracket + rest


def check_bucket_name(name: object, *, argument: str = "bucket") -> str:
    """Check an S3 bucket name against the AWS naming rules.

    Rules: 3-63 characters; lowercase letters, digits, hyphens and periods; starts and
    ends with a letter or digit; not an IP address; no ``..``; no ``xn--`` prefix; no
    ``-s3alias`` or ``--ol-s3`` suffix.

    Returns:
        The name, unchanged.

    Raises:
        InvalidArgument: the message names the rule that failed.
    """
    if type(name) is str and name in _GOOD_BUCKETS:  # passed every rule before
        return name
    checked = _check_bucket_rules(name, named(argument))
    if len(_GOOD_BUCKETS) < _GOOD_BUCKETS_MAX:
        _GOOD_BUCKETS.add(checked)
    return checked


def _check_bucket_rules(name: object, argument: str) -> str:
    """``check_bucket_name``'s rules, in its words (``argument`` already named)."""
    if not isinstance(name, str):
        raise InvalidArgument(f"{argument} must be a string, not {type(name).__name__}")

    def bad(rule: str) -> InvalidArgument:
        return InvalidArgument(
            f"invalid {argument} {name!r}: {rule}", code="InvalidBucketName", bucket=name
        )

    if not 3 <= len(name) <= 63:
        raise bad(f"must be 3 to 63 characters long (it has {len(name)})")
    if not _BUCKET_CHARS.match(name):
        raise bad("may only contain lowercase letters, digits, hyphens and periods")
    if not (name[0].isalnum() and name[-1].isalnum()):
        raise bad("must start and end with a lowercase letter or a digit")
    if ".." in name:
        raise bad("must not contain two adjacent periods")
    if name.startswith("xn--"):
        raise bad("must not start with 'xn--'")
    if name.endswith("-s3alias") or name.endswith("--ol-s3"):
        raise bad("must not end with '-s3alias' or '--ol-s3'")
    import ipaddress  # here, not at import (W5); a name is checked once (remembered)

    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        raise bad("must not be formatted as an IP address")
    return name


# names that passed every rule: a service uses a handful, checked on every call (the
# IPv4 test alone costs ~2 µs); bounded so that a stream of distinct names cannot grow it
_GOOD_BUCKETS: set[str] = set()
_GOOD_BUCKETS_MAX = 1024


def check_key(
    key: object,
    *,
    argument: str = "key",
    bucket: str | None = None,
    portable: bool = False,
    marker: bool = False,
) -> str:
    """Check an object key: a non-empty string of at most 1024 UTF-8 bytes, no NUL.

    Args:
        argument: the argument's name, used in messages (default ``key``).
        bucket: the bucket, kept on the error.
        portable: also apply ``check_portable_key`` (default False; the stores pass
            ``BUCKET_PORTABLE_KEYS``, on by default).
        marker: a folder marker (``photos/``) passes the portable rule (default False;
            the stores pass True for deletes: deleting ``d/`` touches no other key on any
            store measured, and ``rm -r`` must be able to remove what a console made).

    Returns:
        The key, unchanged.

    Raises:
        InvalidArgument: empty, too long, not a string, or containing NUL; with
            ``portable``, a key ``check_portable_key`` refuses (code ``InvalidKey``).
    """
    argument = named(argument)
    if not isinstance(key, str):
        raise InvalidArgument(
            f"{argument} must be a string, not {type(key).__name__}", bucket=bucket
        )
    if key == "":
        raise InvalidArgument(f"{argument} must not be empty", code="InvalidKey", bucket=bucket)
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidArgument(
            f"{argument} is not valid UTF-8 text (lone surrogate)", code="InvalidKey", bucket=bucket
        ) from None
    if size > MAX_KEY_BYTES:
        raise InvalidArgument(
            f"{argument} is {size} bytes in UTF-8; the limit is {MAX_KEY_BYTES}",
            code="KeyTooLongError",
            bucket=bucket,
        )
    if "\x00" in key:
        raise InvalidArgument(
            f"{argument} must not contain a NUL character", code="InvalidKey", bucket=bucket
        )
    if portable:
        _check_portable(key, size, argument, bucket, marker)
    return key


def check_portable_key(
    key: str, *, argument: str = "key", bucket: str | None = None, marker: bool = False
) -> str:
    """Refuse a key that some supported store folds onto another key or refuses.

    The rule of ``BUCKET_PORTABLE_KEYS`` (on by default), held by every store before any
    request, so that no write can replace another key's object and a sync never renames
    a key. Refused (measured in ``docs/compatibility.md``):

    - an empty segment: ``a//b``, a leading ``/`` (``/a``), a trailing ``/`` (``a/``);
      SeaweedFS stores ``a//b`` as ``a/b`` and ``/a`` as ``a``, and makes ``a/`` a folder
      (the body is lost, and ``a/`` collides with ``a``);
    - a backslash: SeaweedFS stores ``p\\q`` as ``p/q``;
    - a ``.`` or ``..`` segment: SeaweedFS refuses it (``InvalidRequest``), a folder cannot
      hold it;
    - a control character (U+0000-U+001F, U+007F): the local store refuses it;
    - a segment over 255 UTF-8 bytes: SeaweedFS refuses a last segment that long
      (``KeyTooLongError``), a folder any name that long.

    Dots inside a segment (``.env``, ``...``), spaces, case and Unicode forms are kept by
    every store and pass. With ``marker`` (default False; deletes), a folder marker
    (``photos/``) passes when the rest of it does. ``key`` must already have passed
    ``check_key``.

    Returns:
        The key, unchanged.

    Raises:
        InvalidArgument: code ``InvalidKey``; the message names the key, the rule it
            breaks and ``BUCKET_PORTABLE_KEYS``.
    """
    if key:
        size = len(key.encode("utf-8", "surrogatepass"))
        _check_portable(key, size, named(argument), bucket, marker)
    return key


def _check_portable(key: str, size: int, argument: str, bucket: str | None, marker: bool) -> None:
    """``check_portable_key`` of a non-empty ``key`` of ``size`` UTF-8 bytes (``argument``
    already named): a folder marker is judged without its final ``/``."""
    if marker and len(key) > 1 and key[-1] == "/":
        refused = _is_unportable(key[:-1], size - 1)
    else:
        refused = _is_unportable(key, size)
    if refused:
        _refuse_unportable(key, argument, bucket)


def _is_unportable(key: str, size: int) -> bool:
    """True when ``check_portable_key`` refuses ``key`` (non-empty, ``size`` UTF-8 bytes);
    C scans first, the expressions only on keys that may need them (see ``_UNPORTABLE``)."""
    return (
        key[0] == "/"
        or key[-1] == "/"
        or "//" in key
        or "\\" in key
        or ("/." in key and _DOT_SEGMENT.search(key) is not None)
        or (key[0] == "." and _LEADING_DOT_SEGMENT.match(key) is not None)
        or (not key.isprintable() and _CONTROL.search(key) is not None)
        or (size > MAX_SEGMENT_BYTES and _long_segment(key) > 0)
    )


def _long_segment(key: str) -> int:
    """The UTF-8 size of ``key``'s first segment over MAX_SEGMENT_BYTES, or 0 (a segment
    that long has over MAX_SEGMENT_BYTES // 4 characters: only those are encoded)."""
    for segment in key.split("/"):
        if len(segment) > MAX_SEGMENT_BYTES // 4:
            size = len(segment.encode("utf-8"))
            if size > MAX_SEGMENT_BYTES:
                return size
    return 0


def _refuse_unportable(key: str, argument: str, bucket: str | None) -> None:
    """Raise the ``InvalidArgument`` of a key ``check_portable_key`` refuses (``argument``
    already named)."""
    shown = repr(key) if len(key) <= 80 else repr(key[:60]) + f"... ({len(key)} characters)"
    raise InvalidArgument(
        f"{argument} {shown} {_unportable_rule(key)}; keys must be portable while "
        f"{PORTABLE_KEYS_SETTING} is on (the default; false sends keys verbatim, which "
        "SeaweedFS folds or refuses)",
        code="InvalidKey",
        bucket=bucket,
        key=key,
    )


def _unportable_rule(key: str) -> str:
    """Which portable-key rule ``key`` breaks, in words (the slow path: a refusal)."""
    found = _UNPORTABLE.search(key)
    if found is None:
        return (
            f"has a segment of {_long_segment(key)} bytes in UTF-8 (the limit is "
            f"{MAX_SEGMENT_BYTES}: SeaweedFS and folders refuse longer names)"
        )
    text = found.group()
    if text == "\\":
        return "contains a backslash (SeaweedFS reads it as '/')"
    if text.strip("/."):  # neither a separator nor a dot: U+0000-U+001F or U+007F
        return "contains a control character (the local store refuses it)"
    segment = text.strip("/")
    if segment:
        return f"has a {segment!r} segment (SeaweedFS refuses it)"
    if found.start() == 0:
        return "starts with '/' (SeaweedFS drops it: '/a' is 'a')"
    if found.end() == len(key):
        return "ends with '/' (SeaweedFS makes it a folder: 'a/' loses its body and is 'a')"
    return "has an empty segment ('//': SeaweedFS stores 'a//b' as 'a/b')"


def check_keys(
    keys: object, *, argument: str = "keys", bucket: str | None = None, portable: bool = False
) -> list[str]:
    """Read every key of a many-key delete and check each one, before any request.

    Args:
        keys: an iterable of keys (a list, a tuple, a generator...); a single ``str``
            or ``bytes`` is refused (it would be read character by character).
        argument: the argument's name, used in messages (default ``keys``).
        bucket: the bucket, kept on the error.
        portable: also apply the portable-key rule (default False; folder markers
            pass it, as for every delete), so that a key past the first batch is
            refused before the first batch is sent.

    Returns:
        The keys, as a list, in the order given.

    Raises:
        InvalidArgument: ``keys`` is not an iterable of keys, reading it raised, or a
            key breaks ``check_key``; the message names the key's position
            (``keys[1000]``).
    """
    shown = named(argument)
    if isinstance(keys, (str, bytes, bytearray)) or not isinstance(keys, Iterable):
        raise InvalidArgument(
            f"{shown} must be an iterable of keys (a list of str), not {type(keys).__name__}",
            bucket=bucket,
        )
    try:
        listed = list(keys)
    except Exception as exc:  # the caller's generator failed: nothing was sent
        raise InvalidArgument(
            f"{shown} could not be read ({exc!r}); no request was made", bucket=bucket
        ) from exc
    for position, key in enumerate(listed):
        try:
            where = f"{argument}[{position}]"
            check_key(key, argument=where, bucket=bucket, portable=portable, marker=True)
        except InvalidArgument as exc:
            raise InvalidArgument(
                f"{exc.message} (all keys are checked before the first request; none was sent)",
                code=exc.code,
                bucket=bucket,
            ) from None
    return listed


def check_range(start: int | None, end: int | None) -> tuple[int | None, int | None]:
    """Check an inclusive byte range; either end may be None (open).

    Raises:
        InvalidArgument: negative offsets, a reversed range, or non-integers.
    """
    for name, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidArgument(f"{name} must be an integer byte offset, not {value!r}")
        if value is not None and value < 0:
            raise InvalidArgument(f"{name} must be >= 0, not {value}", code="InvalidRange")
    if start is not None and end is not None and end < start:
        raise InvalidArgument(
            f"end ({end}) must not be before start ({start})", code="InvalidRange"
        )
    return start, end


def range_header(start: int | None, end: int | None) -> str | None:
    """The HTTP ``Range`` header for an inclusive range, or None for the whole object."""
    if start is None and end is None:
        return None
    if start is None:
        # "the first end+1 bytes" (S3 reads "bytes=-N" as the last N bytes)
        return f"bytes=0-{end}"
    return f"bytes={start}-" if end is None else f"bytes={start}-{end}"


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Check user metadata: ASCII header-safe names, string values, 2 KiB in total.

    The one rule for every store (the local store keeps what S3 would keep, so a
    local -> S3 sync never meets a value the server refuses or changes): a value is
    printable ASCII (space to ``~``), with no space at either end. Refused, before
    any request:

    - control characters, tab and DEL included (Ceph answers a tab with
      ``SignatureDoesNotMatch``, DEL with 400);
    - non-ASCII text (botocore refuses it; encode it yourself, e.g. RFC 2047 or
      percent-encoding, if you need it);
    - leading or trailing spaces (S3 servers strip them, so the value read back
      would differ).

    Raises:
        InvalidArgument: names the offending entry (and the character) or the total size.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidArgument(f"metadata must be a mapping, not {type(metadata).__name__}")
    out: dict[str, str] = {}
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not _META_NAME.match(name):
            raise InvalidArgument(
                f"metadata name {name!r} must be ASCII letters, digits and -_. characters"
            )
        if not isinstance(value, str):
            raise InvalidArgument(
                f"metadata value of {name!r} must be a string, not {type(value).__name__}"
            )
        _check_metadata_value(name, value)
        total += len(name.encode()) + len(value.encode())
        out[name.lower()] = value
    if total > MAX_METADATA_BYTES:
        raise InvalidArgument(
            f"metadata is {total} bytes; S3 allows {MAX_METADATA_BYTES}", code="MetadataTooLarge"
        )
    return out


def _check_metadata_value(name: str, value: str) -> None:
    """The value rule of ``check_metadata``; raises ``InvalidArgument`` naming ``name``."""
    bad = next((c for c in value if not " " <= c <= "~"), None)
    if bad is not None:
        kind = "control characters" if ord(bad) < 32 or ord(bad) == 127 else "non-ASCII text"
        raise InvalidArgument(
            f"metadata value of {name!r} must not contain {kind} (found {bad!r}); "
            "values are printable ASCII on every store"
        )
    if value != value.strip(" "):
        raise InvalidArgument(
            f"metadata value of {name!r} must not start or end with a space (S3 servers strip them)"
        )


def check_listing(
    *,
    prefix: object = "",
    page_size: object = 1000,
    max_keys: object = None,
    start_after: object = None,
) -> None:
    """Check a listing's arguments, as every store's ``list_objects`` takes them.

    Raises:
        InvalidArgument: ``prefix`` or ``start_after`` not a string, ``page_size`` outside
            1..1000, ``max_keys`` negative or not an integer.
    """
    if not isinstance(prefix, str):
        raise InvalidArgument(f"prefix must be a string, not {type(prefix).__name__}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        raise InvalidArgument(f"page_size must be an integer between 1 and 1000, not {page_size!r}")
    if max_keys is not None and (
        isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 0
    ):
        raise InvalidArgument(f"max_keys must be a non-negative integer, not {max_keys!r}")
    if start_after is not None and not isinstance(start_after, str):
        raise InvalidArgument(f"start_after must be a string, not {type(start_after).__name__}")
