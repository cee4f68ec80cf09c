"""The library's loggers: a guest in the application's logging.

The rule is the ``logging`` HOWTO's for libraries, as boto3 and redis-py follow it
(https://docs.python.org/3/howto/logging.html#configuring-logging-for-a-library):

- every record goes through stdlib ``logging``, on the ``bucket`` logger or a logger
  below it (``bucket.Bucket``, ``bucket.AsyncBucket``, ``bucket.Redis``, ``bucket.SQL``,
  ``bucket.s3``, ``bucket.local``, ``bucket.factory``...), with lazy ``%s`` arguments;
- the library adds one ``NullHandler`` to ``bucket`` and no other handler, and sets no
  level: the application decides what is shown and where. An application that configures
  no logging sees nothing (the ``NullHandler`` keeps Python's last-resort handler from
  printing WARNING records on stderr); ``logging.basicConfig()`` shows WARNING and above;
  ``logging.getLogger("bucket").setLevel(logging.DEBUG)`` adds the DEBUG records;
- the levels: DEBUG for what happens on the way (requests, replays, an expected miss),
  WARNING for a failed call (its code and reason) and for a choice made for the
  application that it should know about (the local folder store used by default).

Importing this module installs the ``NullHandler`` (once); every module that logs takes
its logger from ``library_logger`` so that the handler is there before its first record.
Importing the ``bucket`` package imports neither this module nor ``logging``.
"""

from __future__ import annotations

import logging

ROOT = "bucket"
"""The top logger of the library (and of its peers ``Redis`` and ``SQL``)."""


def _install_null_handler() -> None:
    top = logging.getLogger(ROOT)
    if not any(isinstance(handler, logging.NullHandler) for handler in top.handlers):
        top.addHandler(logging.NullHandler())


_install_null_handler()


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
