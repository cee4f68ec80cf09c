"""What a command runs with: the parsed options, the settings and the store (built on
first use), and the ``Output`` it prints through."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import IO, Any

from backend.src.libs.bucket import redact
from backend.src.libs.bucket.cli.output import Output
from backend.src.libs.bucket.cli.status import EXIT_USAGE, CliError
from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.store import ObjectStore


def describe_store(config: BucketConfig) -> str:
    """Where ``config`` stores: ``local folder /abs/root``, the endpoint URL, or
    ``AWS S3 (region)``."""
    if config.storage_type == "local":
        return f"local folder {Path(config.local_root).expanduser().absolute()}"
    return config.endpoint_url or f"AWS S3 ({config.region})"


class Context(Output):
    """A command's options, settings and store, and its output.

    Every settings object read registers its secrets with ``redact``, so nothing printed
    shows them.

    Args:
        args: the parsed command line.
        stdout, stderr: the text streams written to.
    """

    def __init__(self, args: argparse.Namespace, *, stdout: IO[str], stderr: IO[str]) -> None:
        super().__init__(stdout, stderr, json=bool(args.json), quiet=bool(args.quiet))
        self.args = args
        self._config: BucketConfig | None = None
        self._store: ObjectStore | None = None

    def config_for(self, env_file: str | None = None, *, local: bool = False) -> BucketConfig:
        """Settings from the environment and ``.env`` (or only ``env_file``), with the
        global options applied; ``local`` forces the local folder store.

        Raises:
            CliError: ``env_file`` does not exist (status 2).
            ConfigError: an invalid setting (the message names the variable).
        """
        args = self.args
        overrides: dict[str, Any] = {
            "endpoint_url": args.endpoint,
            "profile": args.profile,
            "region": args.region,
            "storage_type": "local" if local else args.storage,
            "local_root": args.local_root,
        }
        if env_file is not None:
            if not Path(env_file).is_file():
                raise CliError(f"settings file {env_file!r} does not exist", EXIT_USAGE)
            from dotenv import dotenv_values

            environ = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            config = BucketConfig.from_env(environ, **overrides)
        else:
            config = BucketConfig.from_env(env_file=args.env_file, **overrides)
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
