"""The library's loggers: a guest in the application's logging.

The rule is the ``logging`` HOWTO's for libraries
(https://docs.python.org/3/howto/logging.html#configuring-logging-for-a-library):

- every record goes through stdlib ``logging``, on ``bucket`` or a logger below it
  (``bucket.Bucket``, ``bucket.Redis``, ``bucket.s3``...), with lazy ``%s`` arguments;
- one ``NullHandler`` on ``bucket``, no other handler, no level: an application that
  configures no logging sees nothing (not even the last-resort handler's WARNINGs);
- DEBUG for what happens on the way (requests, replays, an expected miss), WARNING for a
  failed call and for a choice made for the application (the local store by default).

Importing this module installs the ``NullHandler`` (once): loggers come from
``library_logger`` so the handler is there before their first record. Importing the
``bucket`` package imports neither this module nor ``logging``.
"""

from __future__ import annotations

import logging

ROOT = "bucket"
"""The top logger of the library (and of its peers ``Redis`` and ``SQL``)."""


_TOP = logging.getLogger(ROOT)
if not any(isinstance(handler, logging.NullHandler) for handler in _TOP.handlers):
    _TOP.addHandler(logging.NullHandler())


def library_logger(name: str = ROOT) -> logging.Logger:
    """``logging.getLogger(name)`` for ``bucket`` or a logger below it, once the
    ``NullHandler`` is on ``bucket``. Adds no handler and sets no level.

    Raises:
        ValueError: ``name`` is not ``bucket`` nor below it.
    """
    if name != ROOT and not name.startswith(ROOT + "."):
        raise ValueError(f"the library's loggers are {ROOT!r} and below it, not {name!r}")
    return logging.getLogger(name)


__all__ = ["ROOT", "library_logger"]
