"""Is a boto3 client's sending hooked? Then every request of its store goes through botocore.

Test doubles sit on botocore's events (moto's ``mock_aws`` on ``before-send``: its
``BotocoreStubber``, answering while a mock is started; botocore's ``Stubber`` on
``before-call``; an application's handler on ``before-send``); obstore and the signed HEAD
would pass them by and dial the real server. So while the client is hooked the obstore
plane stands aside (``S3Connection.plane`` is None) and botocore carries every request
(the ``auto`` engine's rule; an explicit ``BUCKET_ENGINE=obstore`` is kept). See
``docs/testing.md``.

Hooked, for the operations the plane could carry (``OPERATIONS``): a handler on
``before-send`` (moto's stubber while its mock is started, any other always), or one on
``before-call`` the client did not have when it was built.

Cost: ``SendHooks.hooked()`` runs on every request of the obstore route: one identity
comparison (``botocore_private.registrations``) and moto's ``enabled``, ~0.1 us; the
handlers are read again (~35 us) only after a handler was registered or removed.

Thread-safety: ``hooked`` may be called from any thread; a re-read replaces one tuple.
"""

from __future__ import annotations

import threading
from typing import Any

from backend.src.libs.bucket.s3 import botocore_private

OPERATIONS = (
    "PutObject",
    "GetObject",
    "HeadObject",
    "DeleteObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
)
"""The S3 operations the obstore plane or the signed HEAD may send in botocore's place."""

_MOTO_STUBBER = ("moto.core.botocore_stubber", "BotocoreStubber")


def _is_moto_stubber(handler: object) -> bool:
    """True for moto's ``before-send`` handler (told by its class; moto is not imported)."""
    kind = type(handler)
    return (kind.__module__, kind.__name__) == _MOTO_STUBBER


class SendHooks:
    """Watches one client's ``before-send`` / ``before-call`` handlers (see the module doc).

    Args:
        client: a boto3 S3 client, with every handler of this library already
            registered (they are the baseline, with botocore's own).
    """

    def __init__(self, client: Any) -> None:
        self._emitter = botocore_private.event_emitter(client.meta.events)
        self._lock = threading.Lock()
        baseline: list[object] = []  # held, so that their ids stay theirs
        if self._emitter is not None:
            for operation in OPERATIONS:
                found = botocore_private.handlers(self._emitter, f"before-call.s3.{operation}")
                baseline.extend(found or ())
        self._baseline = baseline
        self._baseline_ids = frozenset(map(id, baseline))
        # (the registrations seen, hooked whatever moto says, moto's stubbers)
        self._state: tuple[object, bool, tuple[Any, ...]] = self._read()

    def hooked(self) -> bool:
        """True when a test double or recorder answers or sees this client's requests."""
        seen, always, stubbers = self._state
        now = botocore_private.registrations(self._emitter) if self._emitter is not None else None
        if now is None or now is not seen:
            seen, always, stubbers = self._state = self._read()
        # moto's stubbers answer while a mock is started (no generator made without one)
        return always or (bool(stubbers) and any(stubber.enabled for stubber in stubbers))

    def _read(self) -> tuple[object, bool, tuple[Any, ...]]:
        """Read the handlers now: (the registrations stamp, hooked for good, stubbers)."""
        emitter = self._emitter
        if emitter is None:
            return None, True, ()
        with self._lock:
            stamp = botocore_private.registrations(emitter)
            stubbers: list[Any] = []
            always = False
            for operation in OPERATIONS:
                sending = botocore_private.handlers(emitter, f"before-send.s3.{operation}")
                calling = botocore_private.handlers(emitter, f"before-call.s3.{operation}")
                if sending is None or calling is None:
                    return stamp, True, ()
                for handler in sending:
                    if not _is_moto_stubber(handler):
                        always = True
                    elif all(handler is not known for known in stubbers):
                        stubbers.append(handler)
                if any(id(handler) not in self._baseline_ids for handler in calling):
                    always = True
            return stamp, always, tuple(stubbers)
