"""`make demo`: the main job of the bucket module, end to end, one readable line a step.

Uses whatever the environment and ``.env`` configure (a local folder by default, or the
S3 server named by ``BUCKET_HOST`` / ``S3_ENDPOINT_URL``). Exits non-zero if a step fails.
The health check comes first: when the store does not answer, the demo stops there with
one message saying what to do (exit status 2), instead of failing every step.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from backend.src.libs.bucket import Bucket, BucketConfig, BucketNotFound, StorageError
from backend.src.libs.bucket.base.store import ProgressCallback
from backend.src.libs.bucket.features.bundles import BundleStore


def _progress_printer() -> ProgressCallback | None:
    """A one-line progress display on a terminal; nothing when output is redirected."""
    if not sys.stdout.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        percent = f"{100 * done / total:5.1f}%" if total else f"{done:,} bytes"
        end = "\n" if total and done >= total else ""
        print(f"\r       uploading... {percent}", end=end, flush=True)

    return show


def _unreachable(config: BucketConfig, where: str, reason: object) -> str:
    """The one message printed when the health check fails: what failed and what to do."""
    if config.storage_type == "local":
        return (
            f"bucket demo: the local store ({where}) is not usable: {reason}\n"
            "Fix BUCKET_LOCAL_ROOT (a folder you can write to) and run `make demo` again."
        )
    settings = "the BUCKET_* / S3_* settings"
    if Path(".env").is_file():
        settings = ".env (and unset BUCKET_HOST / S3_ENDPOINT_URL)"
    return (
        f"bucket demo: the health check of the S3 server ({where}) failed: {reason}\n"
        "Start the local servers with `make up` (docker compose; `bucket doctor` says "
        "which variable and file each setting came from),\n"
        f"or remove {settings} to run the demo on the local folder store."
    )


def main() -> int:
    """Run the demo; returns the process exit status."""
    config = BucketConfig.from_env()
    bucket = Bucket(config=config)
    name = config.default_bucket or "demo-bucket"
    where = config.endpoint_url or (
        "AWS S3" if config.storage_type == "s3" else f"folder {config.local_root}"
    )
    failures = 0

    def step(label: str, ok: bool, detail: str = "") -> None:
        nonlocal failures
        failures += 0 if ok else 1
        mark = "ok  " if ok else "FAIL"
        reason = "" if ok else f" ({bucket.last_error})"
        print(f"[{mark}] {label}{': ' + detail if detail else ''}{reason}", flush=True)

    print(f"bucket demo on {config.storage_type} ({where})", flush=True)
    # quiet: logs nothing, keeps the reason in last_error; a missing default bucket means
    # the server answered (the next step creates the bucket)
    healthy = bucket.health_check()
    if not healthy and not isinstance(bucket.last_error, BucketNotFound):
        print(_unreachable(config, where, bucket.last_error), file=sys.stderr)
        bucket.disconnect()
        return 2
    step(
        "health check",
        True,
        f"{(bucket.last_latency or 0) * 1000:.1f} ms"
        if healthy
        else f"the server answers (no bucket {name} yet)",
    )
    step("ensure bucket", bucket.ensure_bucket(name) == bucket.success, name)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.bin"
        payload = os.urandom(3 * 1024 * 1024 + 123)
        source.write_bytes(payload)
        started = time.perf_counter()
        code = bucket.upload_file(
            name,
            str(source),
            "demo/report.bin",
            metadata={"origin": "make-demo"},
            progress=_progress_printer(),
        )
        elapsed = time.perf_counter() - started
        step(
            "upload with progress",
            code == bucket.success,
            f"demo/report.bin, {len(payload):,} bytes in {elapsed * 1000:.0f} ms",
        )
        keys = bucket.list_files(name, prefix="demo/")
        listed = [getattr(e, "key", "") for e in keys] if not isinstance(keys, int) else []
        step(
            "list",
            "demo/report.bin" in listed,
            f"{len(listed)} object(s) under demo/: {', '.join(listed)}",
        )
        info = bucket.get_bucket_file(name, "demo/report.bin")
        ok = isinstance(info, dict) and info["file_size"] == len(payload)
        step(
            "stat",
            ok,
            f"size {info['file_size']:,}, etag {info['etag']}, type {info['content_type']}"
            if isinstance(info, dict)
            else "",
        )
        target = Path(tmp) / "back.bin"
        code = bucket.download_file(name, "demo/report.bin", str(target))
        same = code == bucket.success and target.read_bytes() == payload
        digest = hashlib.sha256(payload).hexdigest()[:16]
        step("download and compare", same, f"sha256 {digest}... identical" if same else "")
    bundles = BundleStore(bucket.store, name)
    try:
        stored = bundles.create("audit", {"action": "make demo", "files": ["demo/report.bin"]})
        back = bundles.get(stored.id)
        step(
            "bundle stored, retrieved, verified",
            back.checksum == stored.checksum,
            f"{bundles.key_of(stored.id)} sha256 {stored.checksum[:16]}...",
        )
        bundles.delete(stored.id)
    except StorageError as exc:
        step("bundle stored, retrieved, verified", False, str(exc))
    stats = bucket.get_bucket_stats(name)
    step(
        "stats",
        not isinstance(stats, int),
        f"{stats.objects} object(s), {stats.bytes:,} bytes" if not isinstance(stats, int) else "",
    )
    step("delete", bucket.delete_file(name, "demo/report.bin") == bucket.success, "demo/report.bin")
    gone = bucket.file_exists(name, "demo/report.bin")
    step("gone", gone is False, "the object no longer exists")
    bucket.disconnect()
    print(
        "demo finished: all steps passed"
        if failures == 0
        else f"demo finished: {failures} step(s) failed"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    # the demo is the application: it chooses where the library's records go (the library
    # only adds a NullHandler). WARNING and above on stderr: the local folder store chosen
    # because no setting points at S3, and any failed call beside its step line.
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    sys.exit(main())
