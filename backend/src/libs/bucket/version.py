"""The installed package's version, for ``bucket --version``."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "bucket"


def package_version() -> str:
    """The version of the installed ``bucket`` distribution (``pyproject.toml``'s), or
    ``"unknown (not installed)"`` when the code runs from a checkout that was never
    installed (``pip install -e .``). Never raises."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"
