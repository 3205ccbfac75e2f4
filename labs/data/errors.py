"""Errors of the data layer; both are ``OSError`` subclasses, like ``FileNotFoundError``."""


class DownloadError(OSError):
    """A download failed: bad HTTP status, timeout, short body, wrong size or sha256, or offline."""


class CorruptFileError(OSError):
    """A cached file does not match the registry's size or sha256; it is never used."""
