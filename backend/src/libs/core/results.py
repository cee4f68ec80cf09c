"""``ok``: tell a facade's result from its error code, and narrow its type.

The return-code facades (``Bucket``, ``AsyncBucket``, ``Redis``, ``SQL``) return either
their data or the ``error`` code (an ``int``, 84 by default), typed ``X | int``
(``BucketFile | int``, ``list[str] | int``, ``Retention | int | None``...); the calls
with nothing to return give ``success`` (0) or ``error``, typed ``int``. ``ok`` is the
one test for all of them::

    info = bucket.get_bucket_file("media", "k")
    if ok(info):
        print(info["file_size"])         # info: BucketFile here
    else:
        print(bucket.last_error)         # info: int (the error code) here

It is a ``TypeIs`` function: in the ``if`` branch a type checker narrows ``X | int`` to
``X``, in the ``else`` branch to ``int``. For a code (``int``) it narrows nothing and says
whether the code is ``success``.

The rule, at run time: a result is a failure when it is an ``int`` that is not a
``bool`` and not the success code. Data is never an ``int`` (no facade method returns a
number as its data), ``True`` and ``False`` are answers (``bool`` is an ``int``
subclass, so it is tested first), and ``None`` is data (``get_versioning`` of a bucket
that never had versioning). A facade built with another success code than 0 passes it:
``ok(result, success=bucket.success)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13

T = TypeVar("T")


@overload
def ok(result: int, /, *, success: int = 0) -> bool: ...


@overload
def ok(result: T | int, /, *, success: int = 0) -> TypeIs[T]: ...


def ok(result: object, /, *, success: int = 0) -> bool:
    """True when ``result`` is a facade's data (or its ``success`` code), False when it is
    an error code.

    Args:
        result: what a facade method returned: its data, ``True``/``False`` (answers,
            never errors), ``None`` (data), or a code.
        success: the facade's success code (default 0, as ``Bucket()``, ``Redis()`` and
            ``SQL()`` use).

    Returns:
        For ``X | int``: True narrows to ``X``, False to ``int`` (a ``TypeIs``). For a
        code alone (``int``): whether it is ``success``, with no narrowing.
    """
    return not isinstance(result, int) or isinstance(result, bool) or result == success


__all__ = ["ok"]
