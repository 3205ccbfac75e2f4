"""Verification of cached files: size, then sha256, remembered in a sidecar keyed on the file's stat.

The sidecar ``.NAME.verified`` holds size, inode, mtime and ctime (ns) and the sha256 of the
last file that passed; any write to the file changes its ctime and invalidates the sidecar,
so a changed file is always hashed again. Where the directory is read-only the file is simply hashed each time.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import CorruptFileError
from .registry import RemoteFile, dataset_of, fetch_command

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _stamp(path: Path, sha256: str) -> str:
    stat = path.stat()
    return f"{stat.st_size} {stat.st_ino} {stat.st_mtime_ns} {stat.st_ctime_ns} {sha256}"


def remember_verified(path: Path, sha256: str) -> None:
    """Record that ``path`` (as it is now) has the given sha256; silently skipped if read-only."""
    try:
        _sidecar(path).write_text(_stamp(path, sha256))
    except OSError:
        pass


def problem(file: RemoteFile, path: Path) -> str | None:
    """``None`` when ``path`` exists and matches ``file``; else ``"missing"`` or what is wrong."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != file.size:
        return f"size {size:,} bytes, expected {file.size:,}"
    sidecar = _sidecar(path)
    try:
        if sidecar.read_text() == _stamp(path, file.sha256):
            return None
    except OSError:
        pass
    if sha256_of(path) != file.sha256:
        return "sha256 mismatch"
    remember_verified(path, file.sha256)
    return None


def corrupt_error(file: RemoteFile, path: Path, reason: str) -> CorruptFileError:
    """The error for a cached file that failed verification, with the command that replaces it."""
    return CorruptFileError(
        f"{path} is corrupt ({reason}) and will not be used. Delete it, or replace it with "
        f"`{fetch_command(dataset_of(file), force=True)}` (downloads {file.url})."
    )
