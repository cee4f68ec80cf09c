"""The direct path-style presigner makes exactly the URL botocore's client makes."""

from __future__ import annotations

from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig
from backend.src.libs.bucket.s3.presign import content_disposition
from backend.src.libs.bucket.s3.store import S3Store

CASES: list[tuple[str, dict[str, Any]]] = [
    ("GET", {}),
    ("GET", {"version_id": "v-123"}),
    ("GET", {"download_name": "report 2025.pdf"}),
    ("PUT", {"content_type": "application/json"}),
]


@pytest.mark.parametrize(("method", "options"), CASES)
@pytest.mark.parametrize("token", [None, "session-token-value"])
@pytest.mark.parametrize("key", ["a.txt", "dir/sub/ü n~i(c)o+de.bin"])
def test_same_url_as_botocore(method: str, options: dict[str, Any], token: str | None, key: str) -> None:
    """For each kind of URL, the fast path and client.generate_presigned_url agree byte for byte."""
    config = BucketConfig.from_env({
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret-example", "AWS_REGION": "eu-west-3",
        **({"AWS_SESSION_TOKEN": token} if token else {}),
    })
    store = S3Store(config)
    params: dict[str, Any] = {"Bucket": "media", "Key": key}
    if "version_id" in options:
        params["VersionId"] = options["version_id"]
    if "download_name" in options:
        params["ResponseContentDisposition"] = content_disposition(options["download_name"])
    if "content_type" in options:
        params["ContentType"] = options["content_type"]
    operation = "get_object" if method == "GET" else "put_object"
    for _ in range(3):  # both must fall in the same second (X-Amz-Date)
        ours = store.presign_url("media", key, method=method, expiration=900, **options)
        theirs = store.client.generate_presigned_url(operation, Params=params, ExpiresIn=900, HttpMethod=method)
        if ours.split("X-Amz-Date=")[1][:16] == theirs.split("X-Amz-Date=")[1][:16]:
            break
    assert ours == theirs
    assert ("X-Amz-Security-Token=" in ours) is (token is not None)
