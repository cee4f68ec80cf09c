"""Issue 23 item 9, packaging: the built wheel in someone else's project.

The wheel is built from this checkout by the build backend (hatchling, in the dev set, so
offline) and installed by pip with ``--no-deps --no-index`` into a fresh virtual
environment. Its runtime dependencies are the dev environment's (installed from
``requirements/dev.lock``): a folder of links to everything in that ``site-packages`` but
this checkout's own editable install (its ``.pth`` and dist-info), appended to the fresh
environment's path by a ``.pth`` line (a plain path line: no ``.pth`` file in that folder is
run). Each test checks where the library was imported from. Beside the environment, a user
project with its own ``backend/app/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.servers import ROOT

LIBS = ("bucket", "core", "redis", "sql")
DISTRIBUTION = "backend-bucket"
NO_BACKEND_SRC = "No module named 'backend.src'"
PIP_OFFLINE = ("-q", "--no-deps", "--no-index", "--no-compile")


def _version_py() -> str:
    """``__version__`` as written in version.py (the single source)."""
    text = (ROOT / "backend/src/libs/bucket/version.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert found, "version.py holds no __version__"
    return found.group(1)


def _env() -> dict[str, str]:
    """The environment of a process in a user project: no PYTHONPATH (nothing of the
    checkout), no store settings but an explicit local store."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_", "REDIS_", "DB_", "PYTHON"))
        and k not in ("STORAGE_TYPE", "VIRTUAL_ENV")
    }
    return env | {"STORAGE_TYPE": "local", "NO_COLOR": "1"}


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Links to the dev environment's site-packages, less this checkout's distribution."""
    folder = tmp_path_factory.mktemp("dependencies")
    ours = re.compile(r"^(_editable_impl_.*\.pth|(backend_)?bucket-[^-]+\.dist-info)$")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not ours.match(entry.name):
            (folder / entry.name).symlink_to(entry)
    return folder


def _venv(folder: Path, dependencies: Path) -> tuple[Path, Path]:
    """A fresh virtual environment (no pip in it) whose path ends with ``dependencies``:
    (python, site-packages)."""
    done = _run([sys.executable, "-m", "venv", "--without-pip", str(folder)], folder.parent)
    assert done.returncode == 0, done.stderr
    python = folder / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", code], folder).stdout.strip())
    (site / "_dev_dependencies.pth").write_text(f"{dependencies}\n")
    return python, site


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built as any PEP 517 front end builds it."""
    out = tmp_path_factory.mktemp("dist")
    code = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"
    done = _run([sys.executable, "-c", code, str(out)], ROOT, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def installed(
    wheel: Path, dependencies: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A fresh virtual environment with the wheel installed by pip: (python, site-packages)."""
    python, site = _venv(tmp_path_factory.mktemp("fresh") / "venv", dependencies)
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", *PIP_OFFLINE, str(wheel)],
        ROOT,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    return python, site


def _user_project(root: Path, *, regular: str | None = None) -> Path:
    """A user's project: ``backend/app/x.py`` and ``main.py``, which imports it and the
    library, does a round trip on a local store and prints what it saw as JSON.
    ``regular``: the text of a ``backend/__init__.py`` (a regular package); None: none
    (a namespace ``backend``)."""
    app = root / "backend" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "x.py").write_text('WHO = "the user\'s own backend.app"\n')
    if regular is not None:
        (root / "backend" / "__init__.py").write_text(regular)
    (root / "main.py").write_text(
        textwrap.dedent(
            """\
            import json, sys
            from importlib import metadata

            import backend
            from backend.app.x import WHO
            from backend.src.libs.bucket import Bucket, __version__

            bucket = Bucket()
            assert bucket.ensure_bucket("media") == bucket.success, bucket.last_error
            assert bucket.upload_stream("media", b"hello", "a/b.txt") == bucket.success
            try:
                installed = metadata.version("backend-bucket")
            except metadata.PackageNotFoundError:
                installed = None
            print(json.dumps({
                "who": WHO,
                "library": sys.modules["backend.src.libs.bucket"].__file__,
                "backend": list(backend.__path__),
                "version": __version__,
                "installed": installed,
                "back": bucket.download_stream("media", "a/b.txt").decode(),
            }))
            """
        )
    )
    return root


def _main(python: Path, project: Path) -> dict[str, object]:
    env = _env() | {"BUCKET_LOCAL_ROOT": str(project / "data")}
    done = _run([str(python), "main.py"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    seen: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["who"] == "the user's own backend.app"
    assert seen["back"] == "hello"
    assert seen["version"] == _version_py()
    return seen


# ------------------------------------------------------------------ the wheel itself
def test_the_wheel_holds_backend_src_libs_only_under_its_own_name(wheel: Path) -> None:
    """The wheel is the distribution backend-bucket at version.py's __version__, holds
    backend/src/libs/** and its dist-info only (no __init__.py for backend, backend.src or
    backend.src.libs, no backend/__main__.py or demo.py, no byte code), a py.typed in each
    of the four packages, the `bucket` console script, and requires exactly pyproject's
    dependencies, plus the extras that name what the docs' examples need."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode())
        scripts = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    version = _version_py()
    assert metadata["Name"] == DISTRIBUTION and metadata["Version"] == version
    assert wheel.name == f"backend_bucket-{version}-py3-none-any.whl"
    dist_info = f"backend_bucket-{version}.dist-info/"
    strays = [n for n in names if not n.startswith(("backend/src/libs/", dist_info))]
    assert strays == []
    for namespace in ("backend", "backend/src", "backend/src/libs"):
        assert f"{namespace}/__init__.py" not in names
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []
    assert {f"backend/src/libs/{p}/py.typed" for p in LIBS} <= set(names)
    assert {f"backend/src/libs/{p}/__init__.py" for p in LIBS} <= set(names)
    assert "bucket = backend.src.libs.bucket.cli:main" in scripts

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requires = metadata.get_all("Requires-Dist") or []
    plain = sorted(str(Requirement(r)) for r in requires if "extra ==" not in r)
    assert plain == sorted(str(Requirement(r)) for r in project["dependencies"])
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert {"cli", "redis", "sql", "examples-fastapi", "examples-eje"} <= extras
    fastapi = {Requirement(r).name for r in project["optional-dependencies"]["examples-fastapi"]}
    assert fastapi == {"fastapi", "uvicorn", "python-multipart"}
    eje = {Requirement(r).name for r in project["optional-dependencies"]["examples-eje"]}
    assert eje == {"requests"}
    classifiers = metadata.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers


# ------------------------------------------------------- installed beside a user project
def test_the_installed_wheel_merges_with_the_users_namespace_backend(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    """In a fresh venv with the wheel installed, a user project whose own backend/ is a
    namespace package (backend/app/, no backend/__init__.py) imports both its
    backend.app.x and backend.src.libs.bucket.Bucket (from site-packages, not the checkout),
    round-trips an object on the local store, reads __version__ (= the installed metadata's
    version); `bucket --version` and `python -m backend.src.libs.bucket --version` work, and
    `mypy --strict` type-checks the user's code against the installed, typed libraries."""
    python, site = installed
    project = _user_project(tmp_path / "service")
    seen = _main(python, project)
    assert seen["library"] == str(site / "backend/src/libs/bucket/__init__.py")
    assert seen["backend"] == [str(project / "backend"), str(site / "backend")]
    assert seen["installed"] == _version_py()

    for command in (
        [str(python.parent / "bucket")],
        [str(python), "-m", "backend.src.libs.bucket"],
    ):
        done = _run([*command, "--version"], project)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"bucket {_version_py()}"

    (project / "typed.py").write_text(
        textwrap.dedent(
            """\
            from backend.app.x import WHO
            from backend.src.libs.bucket import Bucket


            def size(bucket: Bucket) -> int:
                info = bucket.get_bucket_file("media", "a/b.txt")
                return 0 if isinstance(info, int) else int(info["file_size"])


            who: str = WHO
            """
        )
    )
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    done = _run(
        [*mypy, "--python-executable", str(python), "--cache-dir", os.devnull, "typed.py"],
        project,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # a missing py.typed: import-untyped


def test_a_regular_user_backend_hides_the_wheel_until_adopting_md_is_followed(
    installed: tuple[Path, Path], dependencies: Path, tmp_path: Path
) -> None:
    """What docs/adopting.md says of a user's backend/ that is a regular package
    (backend/__init__.py): beside the installed wheel, ``import backend.src.libs.bucket``
    fails with "No module named 'backend.src'" (the first regular package wins); with the
    doc's extend_path line added to that __init__.py both import (the library from
    site-packages, the __init__'s own names kept); vendoring the four folders into the
    user's backend/src/libs works with no wheel installed, and __version__ is right
    there with no installed metadata."""
    python, site = installed
    project = _user_project(tmp_path / "regular", regular="SETTING = 1\n")
    env = _env() | {"BUCKET_LOCAL_ROOT": str(tmp_path / "data")}
    done = _run([str(python), "main.py"], project, env)
    assert done.returncode == 1
    assert f"ModuleNotFoundError: {NO_BACKEND_SRC}" in done.stderr
    doc = (ROOT / "docs" / "adopting.md").read_text()
    assert NO_BACKEND_SRC in doc

    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    remedy = [b for b in blocks if "# backend/__init__.py" in b]
    assert len(remedy) == 1, "docs/adopting.md: one ```python block for backend/__init__.py"
    (project / "backend" / "__init__.py").write_text("SETTING = 1\n" + textwrap.dedent(remedy[0]))
    seen = _main(python, project)
    assert seen["library"] == str(site / "backend/src/libs/bucket/__init__.py")
    done = _run([str(python), "-c", "import backend; print(backend.SETTING)"], project)
    assert done.stdout.strip() == "1", done.stderr

    bare, _ = _venv(tmp_path / "bare", dependencies)  # the dependencies, not the wheel
    vendored = _user_project(tmp_path / "vendored", regular="SETTING = 1\n")
    for package in LIBS:
        shutil.copytree(
            ROOT / "backend/src/libs" / package,
            vendored / "backend/src/libs" / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    seen = _main(bare, vendored)
    assert seen["library"] == str(vendored / "backend/src/libs/bucket/__init__.py")
    assert seen["installed"] is None


# ---------------------------------------------------------- the docs' examples, their extras
def _example_imports(page: Path) -> set[str]:
    """The top-level modules the ```python blocks of ``page`` import, but the standard
    library's and the library's own."""
    found: set[str] = set()
    for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.S):
        found |= set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", block, re.M))
    return {m for m in found if m not in sys.stdlib_module_names and m != "backend"}


def test_every_docs_example_import_is_a_dependency_or_in_the_extra_adopting_md_names() -> None:
    """Every package a ```python example in README.md or docs/*.md imports is either a
    runtime dependency of the library or in an extra that docs/adopting.md's table names for
    that page (the FastAPI example: examples-fastapi; the EJE and presigned-POST examples:
    examples-eje), and every extra that table names exists in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    table = (ROOT / "docs" / "adopting.md").read_text()
    named: dict[str, set[str]] = {}
    for page, extra in re.findall(r"^\|[^|\n]+\| `(docs/[\w.-]+)` \| `([\w-]+)` \|", table, re.M):
        assert extra in extras, f"docs/adopting.md names an extra pyproject lacks: {extra}"
        named.setdefault(page, set()).add(extra)
    assert named.get("docs/async.md") == {"examples-fastapi"}

    def key(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    runtime = {key(Requirement(r).name) for r in project["dependencies"]}
    providers = packages_distributions()
    missing = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        where = page.relative_to(ROOT).as_posix()
        allowed = set(runtime)
        for extra in named.get(where, ()):
            allowed |= {key(Requirement(r).name) for r in extras[extra]}
        for module in sorted(_example_imports(page)):
            dists = {key(d) for d in providers.get(module, [module])}
            if not dists & allowed:
                missing.append(f"{where} imports {module} ({', '.join(sorted(dists))})")
    assert missing == [], (
        "name the extra that brings it in docs/adopting.md's table "
        f"(and in pyproject.toml): {missing}"
    )
