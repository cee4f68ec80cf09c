"""The checks of ``bucket doctor`` that write: in a scratch bucket (``--bucket``, the
settings' bucket, or a temporary one removed after), the region, a put and a batch
delete (checksum compatibility) and a presigned GET."""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from backend.src.libs.bucket.base.capabilities import BatchDeleteStatus, BucketInspection, presigner
from backend.src.libs.bucket.base.errors import StorageError
from backend.src.libs.bucket.base.store import DeleteResult
from backend.src.libs.bucket.cli.doctor_checks import Findings

SCRATCH_PREFIX = ".bucket-doctor/"
SCRATCH_CHECKS = ("region", "presigned URL", "checksum compatibility")
PUBLIC = "BUCKET_PUBLIC_URL"


def check_scratch(f: Findings, bucket: str | None) -> None:
    """Region, checksum compatibility and presigned URL, in ``bucket`` (an existing one,
    ``check_bucket``'s), or in a temporary bucket removed after (None)."""
    store = f.ctx.store
    temporary = bucket is None
    if bucket is None:
        bucket = f"bucket-doctor-{uuid.uuid4().hex[:12]}"
        name = bucket
        created, _ = f.attempt("s3:CreateBucket", lambda: store.create_bucket(name))
        if not created:
            f.skip(
                SCRATCH_CHECKS,
                "could not create a scratch bucket",
                "pass --bucket NAME (a bucket you may write to)",
            )
            return
    try:
        check_region(f, bucket)
        check_objects(f, bucket)
    finally:
        if temporary:
            with contextlib.suppress(StorageError):
                store.delete_bucket(bucket, force=True)


def check_region(f: Findings, bucket: str) -> None:
    """The bucket's region against the settings' (self-hosted zone groups accepted)."""
    store, configured = f.ctx.store, f.config.region
    if not isinstance(store, BucketInspection):
        f.ok("region", f"{configured} (the store cannot report one)")
        return
    ok, region = f.attempt("s3:GetBucketLocation", lambda: store.get_bucket_region(bucket))
    variable = f.config.sources.get("region", "AWS_REGION")
    if not ok:
        f.warn(
            "region",
            f"{configured} configured; GetBucketLocation denied",
            "grant s3:GetBucketLocation (see the policy below)",
        )
    elif region != configured and not f.config.is_aws:
        # self-hosted servers report their zonegroup ("default"); they accepted the
        # requests signed for the configured region, which is what matters
        f.ok("region", f"{configured} accepted (the server names its zone group {region!r})")
    elif region != configured:
        f.fail(
            "region",
            f"bucket {bucket} is in {region}, the settings say {configured}",
            f"set {variable}={region}",
        )
    else:
        f.ok("region", f"{region} (bucket {bucket} agrees)")


def check_objects(f: Findings, bucket: str) -> None:
    """Put a scratch object, fetch it through a presigned URL, delete it in a batch."""
    store = f.ctx.store
    key = f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
    body = b"bucket doctor scratch object\n"
    ok, _ = f.attempt("s3:PutObject", lambda: store.put_object(bucket, key, body))
    if not ok:
        f.skip(
            ["checksum compatibility"],
            f"PutObject denied on {bucket}",
            "grant s3:PutObject (see the policy below)",
        )
        f.skip(["presigned URL"], f"PutObject denied on {bucket}")
        return
    try:
        check_presigned(f, bucket, key, body)
    finally:
        ok, result = f.attempt("s3:DeleteObject", lambda: store.delete_objects(bucket, [key]))
        _checksum(f, deleted=ok, result=result)


def _checksum(f: Findings, *, deleted: bool, result: DeleteResult | None) -> None:
    """What the batch delete of the scratch object says about checksum headers."""
    store, mode = f.ctx.store, f.config.effective_checksum_mode
    # S3Store remembers when the server refused a batch delete for its checksum
    refused = isinstance(store, BatchDeleteStatus) and not store.batch_delete_supported
    fix = "set BUCKET_CHECKSUM_MODE=when_required"
    if not deleted:
        f.skip(
            ["checksum compatibility"],
            "DeleteObject denied",
            "grant s3:DeleteObject (see the policy below)",
        )
    elif refused:
        f.warn(
            "checksum compatibility",
            f"the server refused a batch delete "
            f"for its checksum (mode {mode}); per-key deletes are used instead",
            fix,
        )
    elif result is not None and not result.ok:
        error = result.errors[0]
        f.fail(
            "checksum compatibility",
            f"batch delete failed: {error.code}: {error.message}",
            fix,
        )
    else:
        f.ok("checksum compatibility", f"batch delete accepted (checksum mode {mode})")


def _fetch(f: Findings, url: str) -> bytes | None:
    """GET ``url``; None (the failure recorded) when it answers an error or not at all."""
    cfg = f.config
    host = urlsplit(url).netloc
    try:
        with urllib.request.urlopen(url, timeout=cfg.connect_timeout + 5) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        f.fail(
            "presigned URL",
            f"GET through {host} answered HTTP {exc.code}",
            f"set {PUBLIC} to the endpoint clients use, as the server sees it "
            "(the signature covers the host)",
        )
    except (urllib.error.URLError, OSError) as exc:
        f.fail(
            "presigned URL",
            f"{host} is not reachable from here ({getattr(exc, 'reason', exc)})",
            f"set {PUBLIC} to a URL reachable by clients (now "
            f"{cfg.public_url or 'unset: the endpoint is used'})",
        )
    return None


def check_presigned(f: Findings, bucket: str, key: str, body: bytes) -> None:
    """A presigned GET of the scratch object returns its bytes (``BUCKET_PUBLIC_URL``)."""
    cfg = f.config
    try:
        url = presigner(f.ctx.store, "presign_url").presign_url(bucket, key, expiration=300)
    except StorageError as exc:
        f.fail(
            "presigned URL",
            f"cannot presign: {exc}",
            "use an S3 store for presigned URLs",
        )
        return
    got = _fetch(f, url)
    if got is None:
        return
    host = urlsplit(url).netloc
    if got != body:
        f.fail(
            "presigned URL",
            f"GET through {host} returned other bytes",
            f"check {PUBLIC}: it must reach this same server",
        )
        return
    via = f"{PUBLIC}={cfg.public_url}" if cfg.public_url else "the endpoint (no public URL)"
    f.ok("presigned URL", f"fetched through {host} ({via})")
