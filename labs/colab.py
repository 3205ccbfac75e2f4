"""Keep the Colab buttons and the Colab install cell in step with the repository's GitHub path.

The path lives in one place, ``[tool.cnn-labs] github`` in ``pyproject.toml``;
``python -m labs colab-links`` rewrites every notebook and the README to match it. The
install part of each notebook's setup cell is generated here (``install_block``): on Colab
only, it installs the package, with the extras that lab needs (``cnn-labs[automl]`` for
lab 07), on top of Colab's own TensorFlow and Keras, before Keras is first imported, and
prints one line saying what it did.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

BUTTON = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w./-]+?/notebooks/")
INSTALL = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+(@[\w./-]+)?")
# The guarded install of a setup cell: the `if` line and its indented body.
BLOCK = re.compile(r'^if "google\.colab" in sys\.modules:.*(?:\n[ \t]+.*)*', re.MULTILINE)
EXTRAS = re.compile(r"cnn-labs\[([\w,\s-]*)\]")
PACKAGE = "cnn-labs"


def repository(root: Path) -> tuple[str, str]:
    """``(owner/name, branch)`` from ``pyproject.toml``."""
    import tomllib  # Python 3.11+; only the maintainer's command needs it

    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run this from the repository root")
    settings = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("cnn-labs", {})
    github = settings.get("github", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
        raise ValueError(f"[tool.cnn-labs] github in {path} must look like 'owner/name', got {github!r}")
    return github, settings.get("branch", "main")


def install_url(github: str, branch: str) -> str:
    """The pip URL of the package on GitHub: ``git+https://github.com/OWNER/NAME[@BRANCH]``."""
    return f"git+https://github.com/{github}" + ("" if branch == "main" else f"@{branch}")


def requirement(github: str, branch: str, extras=()) -> str:
    """What pip installs on Colab: the URL, or ``cnn-labs[EXTRA,...] @ URL`` when a lab needs extras."""
    url = install_url(github, branch)
    return f"{PACKAGE}[{','.join(extras)}] @ {url}" if extras else url


def install_block(github: str, branch: str, extras=()) -> str:
    """The Colab part of a setup cell, installing the package with ``extras`` (no trailing newline).

    Colab ships TensorFlow and Keras; pip keeps them unless a requirement excludes the
    installed version (lab 07's ``automl`` extra holds Keras below 3.13 for AutoKeras 3.0),
    and it does so here, before the notebook first imports Keras. The cell then prints which
    Keras was there and which is there now.
    """
    extras = sorted(set(extras))
    for extra in extras:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", extra):
            raise ValueError(f"extra {extra!r} is not a valid extra name (lower-case letters, digits, '-')")
    name = f"{PACKAGE}[{','.join(extras)}]" if extras else PACKAGE
    return "\n".join([  # every line within the notebooks' 110 characters
        f'if "google.colab" in sys.modules:  # Colab only: install {name} before Keras is imported',
        "    from importlib.metadata import version",
        '    keras_before = version("keras")',
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",',
        f'                    "{requirement(github, branch, extras)}"], check=True)',
        f"    print(f\"Colab: installed {name}; Keras {{keras_before}} before, {{version('keras')}} now\")",
    ])


def block_extras(block: str) -> list[str]:
    """The extras a Colab install block installs, e.g. ``["automl"]`` for ``cnn-labs[automl] @ ...``."""
    found = EXTRAS.search(block)
    return sorted({e.strip() for e in found.group(1).split(",") if e.strip()}) if found else []


def rewrite_text(text: str, github: str, branch: str) -> str:
    """Point every Colab button of ``text`` at ``github``/``branch`` and regenerate its install block.

    An install block keeps the extras it names; a bare install line outside such a block is
    re-pointed too.
    """
    button = f"https://colab.research.google.com/github/{github}/blob/{branch}/notebooks/"
    text = BUTTON.sub(button, text)
    text = BLOCK.sub(lambda found: install_block(github, branch, block_extras(found.group(0))), text)
    return INSTALL.sub(install_url(github, branch), text)


def rewrite_links(root: Path, check: bool = False) -> list[Path]:
    """Rewrite README.md and notebooks/*.ipynb; return the files that changed (or would, with ``check``)."""
    root = Path(root)
    github, branch = repository(root)
    changed = []
    for path in [root / "README.md", *sorted((root / "notebooks").glob("*.ipynb"))]:
        if not path.is_file():
            continue
        old = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            notebook = json.loads(old)
            for cell in notebook["cells"]:
                source = "".join(cell["source"])
                cell["source"] = rewrite_text(source, github, branch).splitlines(keepends=True)
            new = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
            if json.loads(new) == json.loads(old):
                continue
        else:
            new = rewrite_text(old, github, branch)
            if new == old:
                continue
        changed.append(path)
        if not check:
            path.write_text(new, encoding="utf-8")
    return changed
