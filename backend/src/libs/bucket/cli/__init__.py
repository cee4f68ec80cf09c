"""The ``bucket`` command line: the ``bucket`` console script, ``python -m
backend.src.libs.bucket ...`` (wherever the package is installed) or, in a checkout,
``python -m backend ...``.

Settings come from the environment and ``.env`` (``BucketConfig.from_env``); the global
options ``--endpoint``, ``--profile``, ``--region``, ``--storage`` and ``--local-root``
override them. Remote paths are written ``s3://bucket/key`` whatever the store (the
local folder store included); ``sync`` also takes ``local://bucket/prefix`` for the
local folder store when the settings name an S3 server, and ``--source-env`` /
``--dest-env`` to read one side's settings from another ``.env`` file.

Exit statuses: ``status``. A failure prints one line on stderr (``bucket: error: ...``),
never a traceback unless ``--debug``. ``--json`` prints one JSON document on stdout.
Secrets never reach the output: every line printed goes through ``redact.scrub``. The
modules are listed in ``docs/architecture.md``.
"""

from __future__ import annotations

from backend.src.libs.bucket.cli.app import main, run
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.doctor import Check, iam_policy
from backend.src.libs.bucket.cli.output import human
from backend.src.libs.bucket.cli.parsing import Remote, build_parser, parse_remote, require_remote
from backend.src.libs.bucket.cli.status import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
)

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "Check",
    "CliError",
    "Context",
    "Remote",
    "build_parser",
    "human",
    "iam_policy",
    "main",
    "parse_remote",
    "require_remote",
    "run",
]
