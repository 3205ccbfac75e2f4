"""Downloading one registry file: HTTP status checked, progress bar, temporary file, verified, renamed.

Nothing half-written is ever left at the destination: the bytes go to a temporary file in the
same directory, which is renamed atomically only after its size and sha256 match the registry.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..config import notice
from .errors import DownloadError
from .integrity import CHUNK, remember_verified
from .registry import RemoteFile, local_path, url_of

OFFLINE_VARIABLE = "LABS_OFFLINE"
TIMEOUT_SECONDS = 30.0


def offline() -> bool:
    """True when ``LABS_OFFLINE`` is set to something other than ``""``/``0``/``false``/``no``."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def download(file: RemoteFile, destination: Path | None = None, *, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Download ``file`` to ``destination`` (default its place in the data directory) and verify it.

    Raises ``DownloadError`` naming the file and the URL on any failure, leaving nothing behind.
    """
    url = url_of(file)
    destination = Path(destination) if destination is not None else local_path(file)
    if offline():
        raise DownloadError(
            f"not downloading {file.name} from {url} to {destination}: downloads are disabled ({OFFLINE_VARIABLE}=1)"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            sha256 = _copy(url, stream, file, timeout)
        received = os.path.getsize(temporary)
        if received != file.size:
            raise DownloadError(f"received {received:,} bytes, expected {file.size:,}")
        if sha256 != file.sha256:
            raise DownloadError(f"sha256 {sha256} does not match the registry's {file.sha256}")
        os.replace(temporary, destination)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, Exception):
            raise DownloadError(f"download of {file.name} from {url} to {destination} failed: {_reason(error)}") from error
        raise
    remember_verified(destination, file.sha256)
    return destination


def _copy(url: str, stream, file: RemoteFile, timeout: float) -> str:
    """Stream ``url`` into ``stream`` with a progress bar; return the sha256 of what was written."""
    from tqdm.auto import tqdm

    notice(f"downloading {file.name} ({file.size / 1e6:.1f} MB) from {url}")
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "cnn-labs"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", None)
        if url.startswith(("http://", "https://")) and status != 200:
            raise DownloadError(f"HTTP status {status}")
        with tqdm(total=file.size, unit="B", unit_scale=True, desc=file.name) as bar:
            while chunk := response.read(CHUNK):
                if bar.n + len(chunk) > file.size:
                    raise DownloadError(f"the server sent more than the expected {file.size:,} bytes")
                stream.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP status {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return str(error) or type(error).__name__
