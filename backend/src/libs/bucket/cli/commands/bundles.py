"""``bundle put|get|ls``: evidence bundles (``bundles.BundleStore``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import to_json, when
from backend.src.libs.bucket.cli.parsing import Remote, require_remote
from backend.src.libs.bucket.cli.status import EXIT_OK, EXIT_USAGE, CliError

if TYPE_CHECKING:
    from backend.src.libs.bucket.features.bundles import BundleStore


def _data(args: argparse.Namespace) -> dict[str, object]:
    """``--data``: a JSON object given inline, as ``@file`` or as ``-`` (stdin).

    Raises:
        CliError: not JSON, or not an object (status 2).
    """
    if args.data == "-":
        raw = sys.stdin.read()
    elif args.data.startswith("@"):
        raw = Path(args.data[1:]).read_text("utf-8")
    else:
        raw = args.data
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise CliError(f"--data is not valid JSON: {exc}", EXIT_USAGE) from exc
    if not isinstance(data, dict):
        raise CliError("--data must be a JSON object", EXIT_USAGE)
    return data


def _metadata(items: list[str] | None) -> dict[str, str]:
    """``--meta NAME=VALUE`` options as a dict.

    Raises:
        CliError: an item without ``=`` (status 2).
    """
    metadata = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--meta {item!r} must look like name=value", EXIT_USAGE)
        metadata[name] = value
    return metadata


def _put(ctx: Context, bundles: BundleStore, remote: Remote) -> int:
    from backend.src.libs.bucket.features.bundles import EvidenceBundle

    args = ctx.args
    data = _data(args)
    metadata = _metadata(args.meta)
    bundle = EvidenceBundle.create(args.type, data, id=args.id, metadata=metadata)
    bundles.put(bundle, overwrite=args.overwrite)
    key = bundles.key_of(bundle.id)
    document = {
        "id": bundle.id,
        "type": bundle.type,
        "key": key,
        "checksum": bundle.checksum,
        "created_at": bundle.created_at,
    }
    ctx.result(
        document,
        f"stored bundle {bundle.id} at s3://{remote.bucket}/{key} (sha256 {bundle.checksum})",
        always=True,
    )
    return EXIT_OK


def _get(ctx: Context, bundles: BundleStore) -> int:
    bundle = bundles.get(ctx.args.id)  # checksum verified, IntegrityError otherwise
    document = json.loads(bundle.to_json())
    ctx.out(to_json(document, indent=None if ctx.json else 2))
    return EXIT_OK


def _list(ctx: Context, bundles: BundleStore) -> int:
    args = ctx.args
    infos = bundles.list(args.type, year=args.year, month=args.month)
    if ctx.json:
        ctx.emit(
            [
                {
                    "id": i.id,
                    "type": i.type,
                    "year": i.year,
                    "month": i.month,
                    "key": i.key,
                    "size": i.size,
                    "last_modified": i.last_modified,
                }
                for i in infos
            ]
        )
        return EXIT_OK
    for info in infos:
        ctx.out(f"{when(info.last_modified)}  {info.size:>8}  {info.type:<16} {info.id}")
    return EXIT_OK


def cmd_bundle(ctx: Context) -> int:
    """``bundle put|get|ls``: evidence bundles (``bundles.py``).

    Raises:
        CliError: a bad ``--data`` or ``--meta`` (status 2).
        StorageError: the store failed; ``IntegrityError`` for a bundle whose checksum
            does not match.
    """
    from backend.src.libs.bucket.features.bundles import BundleStore

    remote = require_remote(ctx.args.bucket, key=False)
    bundles = BundleStore(ctx.store, remote.bucket)
    if ctx.args.bundle_command == "put":
        return _put(ctx, bundles, remote)
    if ctx.args.bundle_command == "get":
        return _get(ctx, bundles)
    return _list(ctx, bundles)
