"""Small helpers shared by the peers' config modules: read a mapping, parse values.

Every parser takes the variable's name and raises the caller's error class with a
message naming it; none of them ever puts a secret value in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class DefaultEnvFile(str):
    """The ``.env`` read when the caller names no file: unlike a file the caller names,
    it may be missing. ``DEFAULT_ENV_FILE`` is the one instance the defaults use."""

    __slots__ = ()


DEFAULT_ENV_FILE = DefaultEnvFile(".env")
"""The default ``env_file`` of ``read_environ`` and ``from_env``: ``.env`` in the working
directory, read when present, skipped when missing."""


def read_environ(
    environ: Mapping[str, str] | None,
    env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE,
    *,
    error: type[Exception] = ValueError,
) -> dict[str, str]:
    """The variables to read: ``environ`` as given, or ``os.environ`` over ``env_file``.

    Args:
        environ: a mapping to read instead of the process environment (tests).
        env_file: read when ``environ`` is None. Default ``DEFAULT_ENV_FILE`` (``.env``
            in the working directory, skipped when missing); a file named by the caller
            must exist; None skips it. The process environment wins over the file.
        error: raised when a named ``env_file`` is missing (the config's error class).

    Raises:
        error: ``env_file`` was named, and is not an existing file (the message names it).
    """
    if environ is not None:
        return dict(environ)
    merged: dict[str, str] = {}
    if env_file is not None:
        path = Path(env_file)
        if path.is_file():
            from dotenv import dotenv_values

            merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
        elif not isinstance(env_file, DefaultEnvFile):
            what = "is not a file" if path.exists() else "does not exist"
            raise error(f"settings file {os.fspath(env_file)!r} {what}")
    merged.update(os.environ)
    return merged


def first_set(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """``(variable, value)`` of the first of ``names`` set to a non-blank value."""
    for name in names:
        raw = env.get(name)
        if raw is not None and raw.strip() != "":
            return name, raw.strip()
    return None


def parse_int(raw: Any, var: str, error: type[Exception], *, low: int, high: int) -> int:
    """``raw`` as an integer in ``low..high``; ``error`` naming ``var`` otherwise."""
    if isinstance(raw, bool):
        raise error(f"{var} must be an integer, not {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise error(f"{var} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise error(f"{var} must be between {low} and {high}, not {value}")
    return value


def parse_float(raw: Any, var: str, error: type[Exception]) -> float:
    """``raw`` as a positive number of seconds; ``error`` naming ``var`` otherwise."""
    if isinstance(raw, bool):
        raise error(f"{var} must be a positive number of seconds, not {raw!r}")
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise error(f"{var} must be a positive number of seconds, not {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise error(f"{var} must be a positive number of seconds, not {raw!r}")
    return value


def parse_bool(raw: Any, var: str, error: type[Exception]) -> bool:
    """``raw`` as a boolean (1/0, true/false, yes/no, on/off)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise error(f"{var} must be true or false, not {raw!r}")


def mask(value: object) -> str:
    """``'***'`` for a set secret, ``None`` otherwise (for reprs and logs)."""
    return "None" if value is None else "'***'"


__all__ = [
    "DEFAULT_ENV_FILE",
    "DefaultEnvFile",
    "first_set",
    "mask",
    "parse_bool",
    "parse_float",
    "parse_int",
    "read_environ",
]
