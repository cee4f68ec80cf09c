"""A fast reader of ListObjectsV2 answers, in place of botocore's XML parser.

A listing page of 1,000 keys costs botocore ~65 ms of client CPU to parse (its generic,
model-driven XML parser builds a dict per element); ``xml.etree.ElementTree`` (C)
reads the same page in ~6 ms. botocore still builds, signs, sends, retries and checks
the request, and reads every error answer: ``parse_hook`` reads the body of a 200 answer
to a ``ListObjectsV2`` call made inside ``reading()`` (``S3Store``'s listings: anyone
else's ``list_objects_v2`` on the same client, ``store.client`` being public, gets
botocore's own answer), hands the result to the caller in the parsed response under
``FAST_LISTING``, and gives botocore an empty ``ListBucketResult`` to parse instead. A
body it cannot read is left to botocore, whole, so the listing never depends on this
module being right about a server's dialect.

botocore also parses every 200 body once more before that, only to see whether S3 hid an
``<Error>`` in it (its private ``_handle_200_error``, first on ``before-parse.s3.*``,
reached through ``botocore_private``): ~40% of a
listing's client CPU. ``install`` puts ``parse_hook`` in front of that check on one
client, so the check reads the empty document when the page was read here (a page that
parsed as a ``ListBucketResult`` is neither an error nor cut short), and the whole body
otherwise.

Keys come URL-encoded (botocore asks for ``encoding-type=url``, so that keys with
characters XML cannot carry still list) and are decoded here as botocore decodes them.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple
from urllib.parse import unquote_plus

from backend.src.libs.bucket.s3 import botocore_private

FAST_LISTING: Final = "BucketFastListing"
"""The key of the parsed response that holds this module's ``Page``."""

_READING: ContextVar[bool] = ContextVar("bucket_fast_listing", default=False)

_EMPTY = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>'
)


class Entry(NamedTuple):
    """One object of a listing page, as the server wrote it (key with the store prefix).

    A named tuple, not a dataclass: one is made per key, and a tuple costs half as much."""

    key: str
    size: int
    etag: str | None
    last_modified: datetime | None
    storage_class: str | None


@dataclass(frozen=True)
class Page:
    """One ListObjectsV2 page: its objects, common prefixes and continuation."""

    entries: tuple[Entry, ...]
    prefixes: tuple[str, ...]
    truncated: bool
    token: str | None


def parse(body: bytes) -> Page:
    """Read a ListObjectsV2 body.

    Raises:
        ET.ParseError: not XML.
        ValueError: not a ListBucketResult, or a field that is not what S3 documents.
    """
    root = ET.fromstring(body)
    if not root.tag.endswith("ListBucketResult"):
        raise ValueError(f"not a ListBucketResult: {root.tag[:80]}")
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    url = (root.findtext(f"{ns}EncodingType") or "").lower() == "url"
    prefixes = tuple(
        _decoded(element.findtext(f"{ns}Prefix") or "", url)
        for element in root.iterfind(f"{ns}CommonPrefixes")
    )
    return Page(
        entries=_entries(root, ns, url),
        prefixes=prefixes,
        truncated=(root.findtext(f"{ns}IsTruncated") or "").lower() == "true",
        token=root.findtext(f"{ns}NextContinuationToken") or None,
    )


def _entries(root: ET.Element, ns: str, url: bool) -> tuple[Entry, ...]:
    """The page's ``Contents``: one loop with the tag names and functions bound once
    (~1.3 us a key, where a helper function per key with its own ``findtext`` names took
    ~3 us; one page holds 1,000 keys)."""
    key_tag, size_tag, etag_tag = f"{ns}Key", f"{ns}Size", f"{ns}ETag"
    modified_tag, class_tag = f"{ns}LastModified", f"{ns}StorageClass"
    from_iso, decoded = datetime.fromisoformat, _decoded
    entries = []
    for element in root.iterfind(f"{ns}Contents"):
        key = element.findtext(key_tag)
        if key is None:
            raise ValueError("a Contents element without a Key")
        modified = element.findtext(modified_tag)
        entries.append(
            Entry(
                decoded(key, url),
                int(element.findtext(size_tag) or 0),
                element.findtext(etag_tag),
                from_iso(modified) if modified else None,
                element.findtext(class_tag),
            )
        )
    return tuple(entries)


def _decoded(text: str, url: bool) -> str:
    """A key or prefix as botocore hands it over (``unquote_plus`` for ``url``).

    The common case, a key whose only escapes are its slashes (``%2F``), is a
    ``str.replace``."""
    if not url or ("%" not in text and "+" not in text):
        return text
    if "+" not in text and text.count("%") == text.count("%2F"):
        return text.replace("%2F", "/")
    return unquote_plus(text)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Within this block (this thread or task only), ``parse_hook`` reads the listing
    pages of the calls made."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def parse_hook(
    response_dict: dict[str, object], customized_response_dict: dict[str, object], **_: object
) -> None:
    """botocore's ``before-parse.s3.ListObjectsV2`` handler (see the module doc)."""
    body = response_dict.get("body")
    if not _READING.get() or response_dict.get("status_code") != 200:
        return
    if not isinstance(body, bytes):
        return
    try:
        page = parse(body)
    except (ValueError, ET.ParseError):  # botocore parses the body itself
        return
    customized_response_dict[FAST_LISTING] = page
    response_dict["body"] = _EMPTY


def install(client: Any) -> None:
    """Read ``S3Store``'s listing pages on ``client`` with ``parse_hook``, before
    botocore's check for an error inside a 200 answer (see the module doc).

    The check is botocore's private ``_handle_200_error``, reached through
    ``botocore_private.handle_200_error_check``. When botocore has no such check under
    that name (a botocore that renamed it), ``parse_hook`` runs after it, as an ordinary
    handler: every page is then parsed twice, as before this pass, never wrong.
    """
    check = botocore_private.handle_200_error_check()
    events = client.meta.events
    if check is None:
        events.register("before-parse.s3.ListObjectsV2", parse_hook)
        return

    def read_then_check(**kwargs: Any) -> None:
        model = kwargs.get("operation_model")
        if model is not None and model.name == "ListObjectsV2":
            parse_hook(kwargs["response_dict"], kwargs["customized_response_dict"])
        check(**kwargs)

    events.unregister("before-parse.s3.*", check)
    events.register_first("before-parse.s3.*", read_then_check, unique_id="bucket-listing")
