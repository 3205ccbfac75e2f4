"""The local cache: find verified files, ``fetch`` data sets, and report their ``status``."""
from __future__ import annotations

from pathlib import Path

from ..config import data_dir, notice
from .download import download
from .errors import DownloadError
from .integrity import corrupt_error, problem
from .registry import DATASETS, MNIST_IDX, RemoteFile, dataset_files, dataset_of, local_path, url_of

VERIFIED = "cached, verified"


def verified_path(file: RemoteFile) -> Path | None:
    """The cached path of ``file`` if it is present and verified, ``None`` if it is missing.

    Raises ``CorruptFileError`` when it is present but fails the size or sha256 check.
    """
    path = local_path(file)
    reason = problem(file, path)
    if reason == "missing":
        return None
    if reason is not None:
        raise corrupt_error(file, path, reason)
    return path


def fetch(name: str, force: bool = False) -> list[Path]:
    """Download the files of data set ``name`` (or ``"all"``) that are missing or corrupt; verify all.

    With ``force=True`` every file is downloaded again. Returns the verified paths.
    """
    names = list(DATASETS) if name == "all" else [name]
    files = [file for each in names for file in dataset_files(each)]
    paths, failures = [], []
    for file in files:
        path = local_path(file)
        try:
            if force or problem(file, path) is not None:
                download(file)
            else:
                notice(f"{file.name}: {VERIFIED} at {path}")
            paths.append(path)
        except DownloadError as error:
            if name != "all":
                raise
            failures.append(str(error))
    if failures:
        raise DownloadError("; ".join(failures))
    return paths


def status() -> dict[str, str]:
    """A short state per data set: "cached, verified", "missing", "corrupt (...)", or which split is present."""
    report = {}
    for name in DATASETS:
        states = {file.name: problem(file, local_path(file)) for file in dataset_files(name)}
        report[name] = _summary(name, states)
    return report


def _summary(name: str, states: dict[str, str | None]) -> str:
    corrupt = [f"{file}: {state}" for file, state in states.items() if state not in (None, "missing")]
    if corrupt:
        return f"corrupt ({'; '.join(corrupt)}) - run `python -m labs fetch {name} --force`"
    missing = [file for file, state in states.items() if state == "missing"]
    if not missing:
        return VERIFIED
    if name == "mnist-idx":
        present = [split for split, pair in MNIST_IDX.items() if not set(pair) & set(missing)]
        if present:
            return f"{present[0]} split only, verified ({', '.join(missing)} missing)"
    if len(missing) < len(states):
        return f"incomplete ({', '.join(missing)} missing)"
    return "missing"


def describe_missing(dataset: str, files: list[RemoteFile], reason: str) -> str:
    """The text of the FileNotFoundError for data that can be neither found nor fetched."""
    where = "; ".join(f"{local_path(file)} from {url_of(file)}" for file in files)
    names = [file.name for file in files]
    either = (f" Either suffices: {names[0]} alone, or the {len(names) - 1} IDX files."
              if len(names) > 1 and names[0].endswith(".npz") else "")
    return (
        f"{dataset} is not in the data directory {data_dir()} and could not be downloaded ({reason}). "
        f"Missing: {where}.{either} Run `python -m labs fetch {dataset_of(files[0])}` on a machine with "
        f"internet access (or copy the files there, or point LABS_DATA_DIR at a folder that has them). "
        f"Without the data, LABS_PROFILE=quick runs every lab on small stand-ins."
    )
