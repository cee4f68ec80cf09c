"""``listing_xml``: the ListObjectsV2 reader that stands in for botocore's XML parser,
and the hook that hands it only what it can read (the real-server check is in
``tests/integration/test_engines.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.src.libs.bucket.s3 import listing_xml

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
PAGE = f"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="{NS}"><Name>b</Name><Prefix>p%2F</Prefix>
<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><EncodingType>url</EncodingType>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok/en+=</NextContinuationToken>
<Contents><Key>p/a+b%2Bc</Key><LastModified>2026-11-26T05:33:18.123Z</LastModified>
<ETag>&quot;e1&quot;</ETag><Size>12</Size><StorageClass>STANDARD_IA</StorageClass></Contents>
<Contents><Key>p/%C3%A9%01</Key><LastModified>2026-11-26T05:33:19.000Z</LastModified>
<ETag>&quot;e2&quot;</ETag><Size>0</Size></Contents>
<CommonPrefixes><Prefix>p/dir%2F</Prefix></CommonPrefixes>
</ListBucketResult>""".encode()


def test_page_read_as_botocore_reads_it() -> None:
    """Keys and prefixes URL-decoded as botocore decodes them ('+' is a space, %2B a plus),
    size, quoted ETag, UTC date, storage class (None when absent), the continuation."""
    page = listing_xml.parse(PAGE)
    first, second = page.entries
    assert (first.key, first.size, first.etag, first.storage_class) == (
        "p/a b+c",
        12,
        '"e1"',
        "STANDARD_IA",
    )
    assert first.last_modified == datetime(2026, 11, 26, 5, 33, 18, 123000, tzinfo=UTC)
    assert (second.key, second.size, second.storage_class) == ("p/é\x01", 0, None)
    assert page.prefixes == ("p/dir/",)
    assert (page.truncated, page.token) == (True, "tok/en+=")


def test_hook_swaps_the_body_only_for_a_page_it_read() -> None:
    """Inside reading(), a 200 page is parsed into the response and replaced by an empty
    ListBucketResult; outside it (anyone else's call on the client), or for an error
    answer or a body that is not a listing, the body is left whole for botocore."""
    outside: dict[str, object] = {"status_code": 200, "body": PAGE}
    listing_xml.parse_hook(outside, {})
    assert outside["body"] == PAGE
    answer: dict[str, object] = {"status_code": 200, "body": PAGE}
    custom: dict[str, object] = {}
    with listing_xml.reading():
        listing_xml.parse_hook(answer, custom)
    assert isinstance(custom[listing_xml.FAST_LISTING], listing_xml.Page)
    assert b"Contents" not in answer["body"]  # type: ignore[operator]
    for status, body in ((403, PAGE), (200, b"<Error><Code>X</Code></Error>"), (200, b"not xml")):
        left: dict[str, object] = {"status_code": status, "body": body}
        untouched: dict[str, object] = {}
        with listing_xml.reading():
            listing_xml.parse_hook(left, untouched)
        assert left["body"] == body and untouched == {}


def test_a_contents_without_key_is_refused() -> None:
    """A Contents element without a Key is not guessed at (ValueError: botocore's turn)."""
    with pytest.raises(ValueError, match="without a Key"):
        listing_xml.parse(f'<ListBucketResult xmlns="{NS}"><Contents/></ListBucketResult>'.encode())


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("plain/key.txt", "plain/key.txt"),
        ("a%2Fb%2Fc.bin", "a/b/c.bin"),
        ("a%2fb", "a/b"),  # lower-case escape: the general decoder
        ("a%2Fb+c%25d", "a/b c%d"),
        ("%2F%2F", "//"),
    ],
)
def test_keys_decoded_as_unquote_plus_decodes_them(raw: str, key: str) -> None:
    """The slash-only shortcut gives what unquote_plus gives, and keys with other escapes
    or '+' go through unquote_plus."""
    body = f'<ListBucketResult xmlns="{NS}"><EncodingType>url</EncodingType><Contents><Key>{raw}</Key></Contents></ListBucketResult>'
    (entry,) = listing_xml.parse(body.encode()).entries
    assert entry.key == key


def _client() -> object:
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


def _emit(
    client: object, operation: str, body: bytes
) -> tuple[dict[str, object], dict[str, object]]:
    model = client.meta.service_model.operation_model(operation)  # type: ignore[attr-defined]
    answer: dict[str, object] = {"status_code": 200, "body": body, "headers": {}}
    custom: dict[str, object] = {}
    client.meta.events.emit(  # type: ignore[attr-defined]
        f"before-parse.s3.{operation}",
        operation_model=model,
        response_dict=answer,
        customized_response_dict=custom,
    )
    return answer, custom


def test_install_reads_the_page_before_botocores_200_error_check() -> None:
    """After install: a listing page inside reading() is read once (botocore's check then
    sees the empty document, the status stays 200); an error hidden in a 200 and a body cut
    short still become a 500 (botocore's retry), for listings and for other operations."""
    client = _client()
    listing_xml.install(client)
    with listing_xml.reading():
        answer, custom = _emit(client, "ListObjectsV2", PAGE)
    assert answer["status_code"] == 200 and isinstance(
        custom[listing_xml.FAST_LISTING], listing_xml.Page
    )
    assert answer["body"] == listing_xml._EMPTY
    error = b'<?xml version="1.0"?><Error><Code>InternalError</Code></Error>'
    for operation, body in (
        ("ListObjectsV2", error),
        ("ListObjectsV2", PAGE[:200]),
        ("CopyObject", error),
    ):
        with listing_xml.reading():
            answer, custom = _emit(client, operation, body)
        assert answer["status_code"] == 500 and custom == {}, operation
