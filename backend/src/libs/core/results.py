"""``ok``: tell a facade's result from its error code, and narrow its type.

The return-code facades return their data or the ``error`` code, typed ``X | int``;
calls with nothing to return give ``success`` (0) or ``error``, typed ``int``::

    info = bucket.get_bucket_file("media", "k")
    if ok(info):
        print(info["file_size"])         # info: BucketFile here
    else:
        print(bucket.last_error)         # info: int (the error code) here

The rule: a result is a failure when it is an ``int`` that is not a ``bool`` and not
the success code. Data is never an ``int``; ``True`` / ``False`` are answers and ``None``
is data (``get_versioning`` of a bucket that never had versioning).
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
        result: what a facade method returned.
        success: the facade's success code (default 0; pass ``bucket.success`` for a
            facade built with another).

    Returns:
        For ``X | int``: True narrows to ``X``, False to ``int`` (a ``TypeIs``). For a
        code alone (``int``): whether it is ``success``, with no narrowing.
    """
    return not isinstance(result, int) or isinstance(result, bool) or result == success


__all__ = ["ok"]
