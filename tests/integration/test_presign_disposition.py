"""``presign_url(download_name=...)``: the name is encoded per RFC 6266 / RFC 5987 before it
is signed into the URL, and control characters are refused before anything is signed
(issue 15, item 10). Checked by fetching the URL with plain urllib from the real servers
and reading the ``Content-Disposition`` header they send back."""

from __future__ import annotations

import urllib.request

import pytest

from backend.src.libs.bucket import Bucket, InvalidArgument
from tests.conftest import ServerCase

pytestmark = pytest.mark.integration

BODY = b"%PDF-1.4 not really\n"

# name -> the exact Content-Disposition the server must answer with
EXPECTED = {
    "report.pdf": "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
    'x.pdf"; filename="evil.html': (
        "attachment; filename=\"x.pdf_; filename=_evil.html\"; "
        "filename*=UTF-8''x.pdf%22%3B%20filename%3D%22evil.html"
    ),
    "a;b.txt": "attachment; filename=\"a;b.txt\"; filename*=UTF-8''a%3Bb.txt",
    "résumé 中文.pdf": (
        "attachment; filename=\"r_sum_ __.pdf\"; "
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%E4%B8%AD%E6%96%87.pdf"
    ),
    "back\\slash 100%.txt": (
        "attachment; filename=\"back_slash 100_.txt\"; "
        "filename*=UTF-8''back%5Cslash%20100%25.txt"
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED), ids=["plain", "quote", "semicolon", "non-ascii", "backslash-percent"])
def test_download_name_header_is_encoded(s3case: ServerCase, name: str) -> None:
    """The presigned GET, fetched with urllib, answers 200 with the object's bytes and
    exactly the RFC 6266 Content-Disposition: an ASCII fallback in filename="..." (", \\,
    % and non-ASCII replaced by _) and the exact name in filename*=UTF-8''... — a quote
    or semicolon in the name cannot add a second filename parameter."""
    s3case.store.put_object(s3case.bucket, "doc.bin", BODY)
    url = s3case.store.presign_url(s3case.bucket, "doc.bin", download_name=name, expiration=60)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.read() == BODY
        headers = response.headers.get_all("Content-Disposition")
    assert headers == [EXPECTED[name]]


@pytest.mark.parametrize(
    "name",
    ["x.pdf\r\nX-Injected: 1", "a\nb.pdf", "a\rb", "tab\tname", "nul\x00", "del\x7f", "c1\x85", ""],
    ids=["crlf", "lf", "cr", "tab", "nul", "del", "c1-nel", "empty"],
)
def test_control_characters_refused_before_signing(s3case: ServerCase, name: str) -> None:
    """A download_name holding CR, LF, tab, NUL, DEL or a C1 control character (or an empty
    one) is refused with InvalidArgument naming download_name: no URL is produced by the
    core, and the facade returns error (it never raises)."""
    with pytest.raises(InvalidArgument, match="download_name"):
        s3case.store.presign_url(s3case.bucket, "doc.bin", download_name=name)
    facade = Bucket(store=s3case.store)
    assert facade.presign_url(s3case.bucket, "doc.bin", download_name=name) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "download_name" in str(facade.last_error)


def test_public_url_signer_carries_the_encoded_name(s3case: ServerCase) -> None:
    """With BUCKET_PUBLIC_URL set (a second, signing-only client), the encoded name is
    signed the same way: the server answers 200 with the exact header."""
    from backend.src.libs.bucket.s3.store import S3Store

    store = S3Store(s3case.config(public_url=s3case.server.endpoint))
    try:
        store.put_object(s3case.bucket, "doc.bin", BODY)
        name = 'x.pdf"; filename="evil.html'
        url = store.presign_url(s3case.bucket, "doc.bin", download_name=name, expiration=60)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers.get_all("Content-Disposition") == [EXPECTED[name]]
    finally:
        store.close()


def test_botocore_signer_route_carries_the_encoded_name(s3case: ServerCase) -> None:
    """The other signing route (botocore's generate_presigned_url, used when the fast
    path-style signer does not apply) signs the same encoded value: 200, exact header."""
    from backend.src.libs.bucket.s3 import presign

    s3case.store.put_object(s3case.bucket, "doc.bin", BODY)
    name = "résumé 中文.pdf"
    url = presign.presign_url(
        s3case.store.client, s3case.bucket, "doc.bin", expiration=60,
        params={"ResponseContentDisposition": presign.content_disposition(name)},
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == BODY
        assert response.headers.get_all("Content-Disposition") == [EXPECTED[name]]
