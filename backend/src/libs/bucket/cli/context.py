"""What a command runs with: the parsed options, the settings and the store (built on
first use), and the ``Output`` it prints through."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import IO, Any

from backend.src.libs.bucket.base import redact
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.store import ObjectStore
from backend.src.libs.bucket.cli.output import Output
from backend.src.libs.bucket.cli.status import EXIT_USAGE, CliError
from backend.src.libs.core.settings import DEFAULT_ENV_FILE, read_env_file


def describe_store(config: BucketConfig) -> str:
    """Where ``config`` stores: ``local folder /abs/root``, the endpoint URL, or
    ``AWS S3 (region)``."""
    if config.storage_type == "local":
        return f"local folder {Path(config.local_root).expanduser().absolute()}"
    return config.endpoint_url or f"AWS S3 ({config.region})"


class Context(Output):
    """A command's options (``args``, the parsed command line), settings and store, and
    its output. Every settings object read registers its secrets with ``redact``, so
    nothing printed shows them."""

    def __init__(self, args: argparse.Namespace, *, stdout: IO[str], stderr: IO[str]) -> None:
        # --only-show-errors (cp, mv, sync) is -q: errors only
        args.quiet = bool(args.quiet or getattr(args, "only_show_errors", False))
        super().__init__(stdout, stderr, json=bool(args.json), quiet=args.quiet)
        self.args = args
        self._config: BucketConfig | None = None
        self._store: ObjectStore | None = None

    def config_for(self, env_file: str | None = None, *, local: bool = False) -> BucketConfig:
        """Settings from the environment and ``.env`` (or only ``env_file``), with the
        global options applied; ``local`` forces the local folder store. A settings file
        named on the command line must exist; only the default ``.env`` may be missing.

        Raises:
            CliError: a named settings file does not exist (status 2).
            ConfigError: an invalid setting (the message names the variable).
        """
        args = self.args
        for named in (env_file, args.env_file):
            if named is not None and not Path(named).is_file():
                what = "is not a file" if Path(named).exists() else "does not exist"
                raise CliError(f"settings file {named!r} {what}", EXIT_USAGE)
        overrides: dict[str, Any] = {
            "endpoint_url": args.endpoint,
            "profile": args.profile,
            "region": args.region,
            "storage_type": "local" if local else args.storage,
            "local_root": args.local_root,
        }
        if env_file is not None:
            config = BucketConfig.from_env(read_env_file(env_file), **overrides)
        else:  # a named --env-file is a file (checked above), never ""
            config = BucketConfig.from_env(env_file=args.env_file or DEFAULT_ENV_FILE, **overrides)
        for secret in config.secrets():
            redact.register(secret)
        return config

    @property
    def config(self) -> BucketConfig:
        """The settings of the main store (read once)."""
        if self._config is None:
            self._config = self.config_for()
        return self._config

    @property
    def store(self) -> ObjectStore:
        """The main store (``S3Store`` or ``LocalStore``, from the settings). A local
        folder store chosen because no setting points at S3 is announced on stderr
        (its absolute root), unless ``--quiet``."""
        if self._store is None:
            from backend.src.libs.bucket.factory import local_announcement, make_store

            config = self.config
            self._store = make_store(config)
            implicit = "storage_type" not in config.sources
            if config.storage_type == "local" and implicit and not self.quiet:
                self.err(local_announcement(config))
        return self._store

    def make_store(self, config: BucketConfig) -> ObjectStore:
        """Another store (for ``sync`` across settings); the caller closes it."""
        from backend.src.libs.bucket.factory import make_store

        return make_store(config)

    def close(self) -> None:
        """Close the main store; never raises."""
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
