"""What a package declares so that every ``RuntimeManager`` can build its service.

A peer package keeps one small module beside it (``bucket/service.py``,
``redis/service.py``...) that declares a ``ServiceSpec`` (the facades with
``core.facade.declare_facade``). The runtime knows only the module that holds each
declaration (``PEER_MODULES``), imported the first time the service is asked for.

Importing this module imports nothing but the standard library.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

PEER_MODULES: dict[str, str] = {
    "bucket": "backend.src.libs.bucket.service",
    "redis": "backend.src.libs.redis.service",
    "sql": "backend.src.libs.sql.service",
    # the asyncio services, keyed by alias and by their class's name
    "abucket": "backend.src.libs.bucket.aio.service",
    "asyncbucket": "backend.src.libs.bucket.aio.service",
    "aredis": "backend.src.libs.redis.async_service",
    "asyncredisclients": "backend.src.libs.redis.async_service",
}
"""Lower-case alias -> the module that declares that peer (imported on first need)."""


class Unhealthy(Exception):
    """Raised by a ping hook: the service answered wrongly or not at all.

    The runtime reports the message as it is (other exceptions are reported as
    ``"TypeName: message"``).
    """


@dataclass(frozen=True)
class ServiceSpec(Generic[T]):
    """How a runtime builds, probes and closes one kind of service.

    Attributes:
        svc_type: the service's type; it is also its registry key.
        factory: builds the service from the settings given to ``configure()``
            (None when none were given: the service reads its own).
        settings: the settings type ``configure()`` accepts for it (None: none).
        ping: probes an instance; raises (``Unhealthy`` or any exception) or returns
            False when it is not healthy. None: the service is not probed.
        on_close: closes an instance; may raise (the runtime logs and goes on).
        aliases: other names ``get()``, ``ping()`` and reports accept (``"redis"``).
        name: the registry name (default ``svc_type.__name__``).
    """

    svc_type: type[T]
    factory: Callable[[Any], T]
    settings: type[Any] | None = None
    ping: Callable[[T], object] | None = None
    on_close: Callable[[T], object] | None = None
    aliases: tuple[str, ...] = ()
    name: str | None = None

    @property
    def display_name(self) -> str:
        """``name``, else the type's ``__name__``."""
        return self.name or self.svc_type.__name__


_DECLARED: dict[type[Any], ServiceSpec[Any]] = {}
_LOCK = threading.Lock()


def declare(spec: ServiceSpec[T]) -> ServiceSpec[T]:
    """Offer ``spec`` to every runtime of the process (a second declaration of the same
    type replaces the first). Returns ``spec``."""
    with _LOCK:
        _DECLARED[spec.svc_type] = spec
    return spec


def declared(svc_type: type[Any]) -> ServiceSpec[Any] | None:
    """The declaration of ``svc_type``, loading the peer module its name points to
    (``Bucket`` -> ``PEER_MODULES["bucket"]``) if need be; None when there is none."""
    spec = _DECLARED.get(svc_type)
    if spec is None and _load(svc_type.__name__):
        spec = _DECLARED.get(svc_type)
    return spec


def declared_by_alias(alias: str) -> ServiceSpec[Any] | None:
    """The declaration known by ``alias`` (case-insensitive for the peers), or None.

    Imports the peer module of ``alias`` on first use.
    """
    _load(alias)
    wanted = alias.lower()
    with _LOCK:
        specs = list(_DECLARED.values())
    for spec in specs:
        if wanted in (a.lower() for a in (*spec.aliases, spec.display_name)):
            return spec
    return None


def _load(alias: str) -> bool:
    """Import the peer module named by ``alias``; True when there is one."""
    module = PEER_MODULES.get(alias.lower())
    if module is None:
        return False
    importlib.import_module(module)
    return True


__all__ = [
    "PEER_MODULES",
    "ServiceSpec",
    "Unhealthy",
    "declare",
    "declared",
    "declared_by_alias",
]
