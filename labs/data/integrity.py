"""Verification of cached files: size, then sha256, remembered for the life of the process.

A pass is remembered under the file's size, inode, mtime and ctime (ns); any write to the
file changes its ctime, so a changed file is always hashed again. Nothing is written beside
the data: a data directory may be shared and read-only.
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


_VERIFIED: set[tuple] = set()


def _stamp(path: Path, sha256: str) -> tuple:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, sha256)


def remember_verified(path: Path, sha256: str) -> None:
    """Record that ``path`` (as it is now) has the given sha256."""
    _VERIFIED.add(_stamp(path, sha256))


def problem(file: RemoteFile, path: Path) -> str | None:
    """``None`` when ``path`` exists and matches ``file``; else ``"missing"`` or what is wrong."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != file.size:
        return f"size {size:,} bytes, expected {file.size:,}"
    if _stamp(path, file.sha256) in _VERIFIED:
        return None
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
