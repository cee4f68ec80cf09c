"""AsyncBucket's surface is Bucket's: every public method of ``Bucket`` exists with the
same parameters (the executor's coroutines are typed from ``Bucket``'s own methods), and
importing the package stays cheap."""

from __future__ import annotations

import inspect
import subprocess
import sys

from backend.src.libs.bucket import AsyncBucket, Bucket
from backend.src.libs.core.facade import Facade


def test_every_bucket_method_is_a_coroutine_with_the_same_parameters() -> None:
    """Each public method of Bucket (and its Facade lifecycle) is on AsyncBucket with the
    same parameter names, kinds and defaults; all but list_files are coroutines."""
    names = {
        n
        for cls in (Bucket, Facade)
        for n, v in vars(cls).items()
        if not n.startswith("_") and inspect.isfunction(v)
    }
    assert len(names) >= 50
    for name in sorted(names):
        ours = getattr(AsyncBucket, name)
        theirs = getattr(Bucket, name)
        assert inspect.iscoroutinefunction(ours) == (name != "list_files"), name
        mine = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
        want = [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]
        assert mine == want, name


def test_the_progress_methods_are_bucket_s() -> None:
    """``aio.bucket.REPORTS_PROGRESS`` names exactly the Bucket methods that take a
    ``progress`` callback (each is handed the job's callback, its cancellation point)."""
    from backend.src.libs.bucket.aio.bucket import REPORTS_PROGRESS

    takes = {
        name
        for name, value in vars(Bucket).items()
        if inspect.isfunction(value) and "progress" in inspect.signature(value).parameters
    }
    assert takes == REPORTS_PROGRESS


def test_subclassing_is_refused() -> None:
    """AsyncBucket is final, like Bucket."""
    try:
        type("Sub", (AsyncBucket,), {})
    except TypeError:
        return
    raise AssertionError("AsyncBucket could be subclassed")


def test_importing_the_package_imports_no_asyncio_boto3_or_obstore() -> None:
    """``import backend.src.libs.bucket`` leaves asyncio, boto3 and obstore unimported."""
    code = (
        "import sys, backend.src.libs.bucket\n"
        "print(sorted(m for m in ('asyncio', 'boto3', 'obstore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
