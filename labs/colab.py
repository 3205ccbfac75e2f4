"""Keep the Colab buttons and the Colab install line in step with the repository's GitHub path.

The path lives in one place, ``[tool.cnn-labs] github`` in ``pyproject.toml``;
``python -m labs colab-links`` rewrites every notebook and the README to match it.
"""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

BUTTON = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w./-]+?/notebooks/")
INSTALL = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+(@[\w./-]+)?")


def repository(root: Path) -> tuple[str, str]:
    """``(owner/name, branch)`` from ``pyproject.toml``."""
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run this from the repository root")
    settings = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("cnn-labs", {})
    github = settings.get("github", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
        raise ValueError(f"[tool.cnn-labs] github in {path} must look like 'owner/name', got {github!r}")
    return github, settings.get("branch", "main")


def rewrite_text(text: str, github: str, branch: str) -> str:
    """Point every Colab button and the install line of ``text`` at ``github``/``branch``."""
    button = f"https://colab.research.google.com/github/{github}/blob/{branch}/notebooks/"
    install = f"git+https://github.com/{github}" + ("" if branch == "main" else f"@{branch}")
    return INSTALL.sub(install, BUTTON.sub(button, text))


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
