"""Ship compiled bytecode in the Lambda deployment package.

Chalice zips sources only, and Lambda's code directory (/var/task) is read-only, so without
this every cold start compiles every module it imports (about half the cold import time,
per DESIGN). Each `.py` in the package gets its `__pycache__/<name>.cpython-3XX.pyc`.

The `.pyc` files are *unchecked-hash* pycs (PEP 552): the interpreter uses them without
comparing them to the source's mtime, which a zip (2-second DOS timestamps) does not keep
exactly. The package is immutable once deployed, so nothing can go stale.

The rewritten zip is deterministic (sorted entries, fixed timestamps), so the CDK asset hash,
and hence the functions, change only when the code or the dependencies do. Compiled files
are cached under `.local/` by content, so a re-synth compiles only what changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
FUNCTION_ROOT = "/var/task"  # where Lambda unpacks a function's package
LAYER_ROOT = "/opt"  # where it unpacks a layer's
KEEP_CACHED_ZIPS = 6


def runtime_version(runtime: str) -> tuple[int, int]:
    """'python3.11' -> (3, 11)."""
    major, minor = runtime.removeprefix("python").split(".")
    return int(major), int(minor)


def check_interpreter(runtime: str) -> None:
    """Bytecode is only valid for one minor version: compile with the runtime's own."""
    if sys.version_info[:2] != runtime_version(runtime):
        raise RuntimeError(f"bytecode for {runtime} must be compiled by that Python; "
                           f"this is {sys.version_info.major}.{sys.version_info.minor}")


def pyc_name(arcname: str) -> str:
    """'pkg/mod.py' -> 'pkg/__pycache__/mod.cpython-311.pyc' (the name the import system looks for)."""
    return importlib.util.cache_from_source(arcname)


def _compile(source: bytes, filename: str) -> bytes:
    from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]

    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def compiled(source: bytes, filename: str, cache_dir: Path) -> bytes | None:
    """The unchecked-hash pyc for `source` (to run as `filename`), from the cache when already built.

    None when the file does not compile (some packages ship Python 2 or template files).
    """
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + filename.encode() + b"\0" + source).hexdigest()
    cached = cache_dir / key[:2] / f"{key}.pyc"
    if cached.exists():
        data = cached.read_bytes()
        return data or None
    try:
        data = _compile(source, filename)
    except (SyntaxError, ValueError):
        data = b""
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data or None


def add_bytecode(zip_path: Path, runtime: str, cache_dir: Path, root: str = FUNCTION_ROOT) -> int:
    """Rewrite `zip_path` in place with a `.pyc` beside each `.py`; return how many it holds.

    `root` is where Lambda unpacks the zip (FUNCTION_ROOT or LAYER_ROOT): tracebacks name it.
    A zip already rewritten once (same bytes in) is taken from the cache whole.
    """
    check_interpreter(runtime)
    digest = hashlib.sha256(zip_path.read_bytes() + root.encode()).hexdigest()
    whole = cache_dir / "zips" / f"{digest}.zip"
    if whole.exists():
        shutil.copyfile(whole, zip_path)
        os.utime(whole)
        with zipfile.ZipFile(zip_path) as done:
            return sum(1 for name in done.namelist() if name.endswith(".pyc"))
    entries: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(zip_path) as source_zip:
        for info in source_zip.infolist():
            if info.is_dir() or info.filename.endswith(".pyc"):
                continue
            entries[info.filename] = (source_zip.read(info), info.external_attr or FILE_MODE)
    added = 0
    for arcname, (data, _) in list(entries.items()):
        if not arcname.endswith(".py"):
            continue
        pyc = compiled(data, f"{root}/{arcname}", cache_dir / "pyc")
        if pyc is not None:
            entries[pyc_name(arcname)] = (pyc, FILE_MODE)
            added += 1
    fd, tmp_name = tempfile.mkstemp(suffix=".zip", dir=zip_path.parent)
    os.close(fd)
    with zipfile.ZipFile(tmp_name, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for arcname in sorted(entries):
            data, attr = entries[arcname]
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = attr
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    os.chmod(tmp_name, 0o644)
    shutil.move(tmp_name, zip_path)
    whole.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(zip_path, whole)
    _prune(whole.parent)
    return added


def _prune(directory: Path) -> None:
    zips = sorted(directory.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[KEEP_CACHED_ZIPS:]:
        old.unlink(missing_ok=True)
