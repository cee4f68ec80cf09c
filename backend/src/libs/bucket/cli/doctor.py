"""``bucket doctor``: check the setup, one line per check with its fix, in order (the
first says where the settings came from: ``cli/provenance.py``); later checks are
skipped when an earlier one makes them meaningless (no endpoint, no credentials, no
scratch bucket). Prints the IAM policy the CLI and library need when the server denied
something."""

from __future__ import annotations

import json

from backend.src.libs.bucket.cli.context import Context, describe_store
from backend.src.libs.bucket.cli.doctor_checks import (
    Check,
    Findings,
    check_addressing,
    check_bucket,
    check_clock,
    check_credentials,
    check_endpoint,
    check_local,
    check_permissions,
)
from backend.src.libs.bucket.cli.doctor_scratch import SCRATCH_CHECKS, check_scratch
from backend.src.libs.bucket.cli.provenance import check_settings, settings_json
from backend.src.libs.bucket.cli.status import EXIT_OK, CliError

__all__ = ["Check", "cmd_doctor", "iam_policy", "run_checks"]

S3_CHECKS = (
    "settings",
    "endpoint reachable",
    "clock skew",
    "credentials",
    "addressing style",
    "bucket",
    "region",
    "presigned URL",
    "checksum compatibility",
    "permissions",
)
"""Every check of an S3 store, in the order they are made: each gets one line."""


def _allow(sid: str, actions: list[str], resource: str) -> dict[str, object]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


def iam_policy(bucket: str | None) -> dict[str, object]:
    """The IAM policy the CLI and the library need on ``bucket`` (``*`` when unknown)."""
    arn = f"arn:aws:s3:::{bucket or '*'}"
    bucket_actions = ["s3:ListBucket", "s3:GetBucketLocation", "s3:CreateBucket", "s3:DeleteBucket"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow("ListBuckets", ["s3:ListAllMyBuckets"], "*"),
            _allow("Bucket", bucket_actions, arn),
            _allow("Objects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], f"{arn}/*"),
        ],
    }


def run_checks(ctx: Context) -> Findings:
    """Every check, in order, printed as made (unless ``--json``): one line each, a
    failure never stopping the ones after it (``Findings.guarded``); a check that an
    earlier failure makes meaningless (no endpoint, no credentials) is a ``skip`` line
    naming why."""
    f = Findings(ctx)
    check_settings(f)
    if f.config.storage_type == "local":
        check_local(f)
        return f
    _, answer = f.guarded(("endpoint reachable",), lambda: check_endpoint(f))
    if answer is None:
        f.skip(S3_CHECKS, "the endpoint is unreachable", "fix the endpoint first")
        return f
    f.guarded(("clock skew",), lambda: check_clock(f, answer))
    if not answer.s3:
        f.skip(S3_CHECKS, "the endpoint does not answer as an S3 server", "fix the endpoint first")
        return f
    ran, unusable = f.guarded(("credentials",), lambda: check_credentials(f))
    f.guarded(("addressing style",), lambda: check_addressing(f))
    if not ran or unusable is not None:
        why = unusable or "the credentials could not be checked"
        f.skip(S3_CHECKS, why, "see the credentials line")
        return f
    _, bucket = f.guarded(("bucket",), lambda: check_bucket(f))
    f.guarded(SCRATCH_CHECKS, lambda: check_scratch(f, bucket))
    f.guarded(("permissions",), lambda: check_permissions(f))
    f.skip(S3_CHECKS, "not reached", "")
    return f


def cmd_doctor(ctx: Context) -> int:
    """Check the setup, one line per check with a fix; prints the IAM policy needed.

    Raises:
        CliError: some check failed (status 1), after every line.
    """
    findings = run_checks(ctx)
    checks = findings.checks
    policy = iam_policy(ctx.args.bucket or ctx.config.default_bucket)
    failed = sum(c.status == "fail" for c in checks)
    if ctx.json:
        ctx.emit(
            {
                "ok": not failed,
                "storage": ctx.config.storage_type,
                "endpoint": describe_store(ctx.config),
                "selected_by": ctx.config.selected_by,
                "settings": settings_json(ctx.config),
                "checks": [
                    {"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix}
                    for c in checks
                ],
                "denied": sorted(set(findings.denied)),
                "policy": policy,
            }
        )
    elif findings.denied:
        ctx.out("IAM policy these credentials need:")
        ctx.out(json.dumps(policy, indent=2))
    if failed:
        raise CliError(f"doctor: {failed} check(s) failed")
    return EXIT_OK
