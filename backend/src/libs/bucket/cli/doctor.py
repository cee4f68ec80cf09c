"""``bucket doctor``: check the setup, one line per check with its fix, in order; later
checks are skipped when an earlier one makes them meaningless (no endpoint, no
credentials, no scratch bucket). Prints the IAM policy the CLI and library need when the
server denied something."""

from __future__ import annotations

import json

from backend.src.libs.bucket.cli.context import Context, describe_store
from backend.src.libs.bucket.cli.doctor_checks import (
    Check,
    Findings,
    check_addressing,
    check_clock,
    check_credentials,
    check_endpoint,
    check_local,
    check_permissions,
)
from backend.src.libs.bucket.cli.doctor_scratch import check_scratch
from backend.src.libs.bucket.cli.status import EXIT_OK, CliError

__all__ = ["Check", "cmd_doctor", "iam_policy", "run_checks"]

_AFTER_ENDPOINT = (
    "clock skew",
    "credentials",
    "addressing style",
    "region",
    "checksum compatibility",
    "presigned URL",
    "permissions",
)
_AFTER_CREDENTIALS = ("region", "checksum compatibility", "presigned URL", "permissions")


def iam_policy(bucket: str | None) -> dict[str, object]:
    """The IAM policy the CLI and the library need on ``bucket`` (``*`` when unknown)."""
    name = bucket or "*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets"],
                "Resource": "*",
            },
            {
                "Sid": "Bucket",
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:CreateBucket",
                    "s3:DeleteBucket",
                ],
                "Resource": f"arn:aws:s3:::{name}",
            },
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"arn:aws:s3:::{name}/*",
            },
        ],
    }


def run_checks(ctx: Context) -> Findings:
    """Every check, in order, printed as made (unless ``--json``).

    Raises:
        StorageError: a failure no check expects (the command reports it in one line).
    """
    f = Findings(ctx)
    if f.config.storage_type == "local":
        check_local(f)
        return f
    date = check_endpoint(f)
    if date is None:
        f.skip(_AFTER_ENDPOINT, "the endpoint is unreachable")
        return f
    check_clock(f, date)
    usable = check_credentials(f)
    check_addressing(f)
    if not usable:
        f.skip(_AFTER_CREDENTIALS, "the credentials were refused")
        return f
    check_scratch(f)
    check_permissions(f)
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
