import json
from pathlib import Path

import pytest

from labs import colab

ROOT = Path(__file__).resolve().parents[1]


def _copy_repository(tmp_path, github="someone/else"):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text(f'[tool.cnn-labs]\ngithub = "{github}"\nbranch = "main"\n')
    (tmp_path / "README.md").write_text(
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/old/repo/blob/main/notebooks/01_x.ipynb)\n"
    )
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": ['subprocess.run([..., "git+https://github.com/old/repo"])\n']}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps(notebook))
    return tmp_path


def test_rewrite_points_buttons_and_install_line_at_the_configured_repository(tmp_path):
    root = _copy_repository(tmp_path)
    assert len(colab.rewrite_links(root, check=True)) == 2
    colab.rewrite_links(root)
    assert "github/someone/else/blob/main/notebooks/01_x.ipynb" in (root / "README.md").read_text()
    assert "git+https://github.com/someone/else" in (root / "notebooks" / "01_x.ipynb").read_text()
    assert colab.rewrite_links(root, check=True) == []


def test_a_branch_other_than_main_goes_into_both_links():
    text = colab.rewrite_text("https://colab.research.google.com/github/a/b/blob/main/notebooks/x.ipynb "
                              "git+https://github.com/a/b", "c/d", "dev")
    assert "github/c/d/blob/dev/notebooks/x.ipynb" in text and "git+https://github.com/c/d@dev" in text


def test_bad_repository_path_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cnn-labs]\ngithub = "not a path"\n')
    with pytest.raises(ValueError, match="must look like 'owner/name', got 'not a path'"):
        colab.repository(tmp_path)


def test_missing_pyproject_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="pyproject.toml not found"):
        colab.repository(tmp_path)


def test_the_committed_links_are_up_to_date():
    assert colab.rewrite_links(ROOT, check=True) == [], "run: python -m labs colab-links"
