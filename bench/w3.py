"""One W3 round in its own process: upload a file, download it back, report time and peak RSS.

Usage: python -m bench.w3 CONTENDER TARGET_JSON KEY SOURCE DEST  (prints one JSON line)

Peak RSS is this process's ``VmHWM`` (its own address space since ``exec``), not
``getrusage().ru_maxrss``: Linux carries ``ru_maxrss`` over ``fork`` and ``exec``, so
it would report the bench's parent process (~150 MiB) for every contender.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

from bench.contenders import Target, make
from bench.measure import peak_rss_mib, results, timed


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    name, target_json, key, source, dest = sys.argv[1:6]
    contender = make(name, Target(**json.loads(target_json)))
    upload = timed(lambda: contender.upload_file(key, source))
    download = timed(lambda: contender.download_file(key, dest))
    rss_mib = peak_rss_mib()
    same = os.path.getsize(dest) == os.path.getsize(source) and _sha256(dest) == _sha256(source)
    contender.delete(key)
    os.unlink(dest)
    if not same:
        sys.exit(f"{name}: downloaded bytes differ")
    print(json.dumps({**results(upload=upload, download=download), "rss_mib": rss_mib}))


if __name__ == "__main__":
    main()
