"""One W3 round in its own process: upload a file, download it back, report time and peak RSS.

Usage: python -m bench.w3 CONTENDER TARGET_JSON KEY SOURCE DEST  (prints one JSON line)
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sys
import time

from bench.contenders import Target, make


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    name, target_json, key, source, dest = sys.argv[1:6]
    contender = make(name, Target(**json.loads(target_json)))
    started = time.perf_counter()
    contender.upload_file(key, source)
    upload = time.perf_counter() - started
    started = time.perf_counter()
    contender.download_file(key, dest)
    download = time.perf_counter() - started
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    same = os.path.getsize(dest) == os.path.getsize(source) and _sha256(dest) == _sha256(source)
    contender.delete(key)
    os.unlink(dest)
    if not same:
        sys.exit(f"{name}: downloaded bytes differ")
    print(json.dumps({"upload": upload, "download": download, "rss_mib": rss_mib}))


if __name__ == "__main__":
    main()
