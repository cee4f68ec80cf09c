"""The package's version: one source for ``pyproject.toml`` (hatchling reads
``__version__`` here), ``backend.src.libs.bucket.__version__`` and ``bucket --version``.
Kept in the code, not read from installed metadata, so that it is right also when the
package is vendored into a service's own ``backend/src/libs`` (no metadata there).
"""

from __future__ import annotations

__version__ = "0.1.0"

DISTRIBUTION = "backend-bucket"
"""The distribution's name on package indexes (``pip install backend-bucket``); the import
path is ``backend.src.libs.*`` and the command ``bucket``."""


def package_version() -> str:
    """The package's version (``__version__``). Never raises."""
    return __version__
