from __future__ import annotations

import os

import pytest

from critic.config import Config
from critic.discover import classify, discover
from critic.testing import write_tree


@pytest.mark.parametrize(
    "name,kind",
    [
        ("main.py", "python"),
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("api.dockerfile", "dockerfile"),
        ("Containerfile", "dockerfile"),
        ("docker-compose.yml", "compose"),
        ("docker-compose.prod.yaml", "compose"),
        ("compose.yaml", "compose"),
        ("compose.override.yml", "compose"),
        ("openapi.yaml", "yaml"),
        (".dockerignore", "other"),
        ("Dockerfile.md", "dockerfile"),
        ("README.md", "other"),
    ],
)
def test_classify(name, kind):
    assert classify(name) == kind


def test_gitignore_and_default_excludes(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitignore": "generated/\n*.log\n!keep.log\n",
            "app/main.py": "",
            "generated/x.py": "",
            "debug.log": "",
            "keep.log": "",
            ".venv/lib/x.py": "",
            "node_modules/a/index.py": "",
            "app/__pycache__/m.py": "",
            "app/sub/.gitignore": "local.py\n",
            "app/sub/local.py": "",
            "app/sub/kept.py": "",
            ".env": "SECRET=1\n",
        },
    )
    found = [f.path for f in discover(tmp_path, None, Config()).files]
    assert found == [".env", ".gitignore", "app/main.py", "app/sub/.gitignore", "app/sub/kept.py", "keep.log"]


def test_user_excludes(tmp_path):
    write_tree(tmp_path, {"app/main.py": "", "legacy/old.py": ""})
    found = [f.path for f in discover(tmp_path, None, Config(exclude=("legacy",))).files]
    assert found == ["app/main.py"]


def test_symlinks_never_leave_the_root(tmp_path):
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write_tree(outside, {"secret.py": "x = 1\n"})
    write_tree(root, {"app/main.py": ""})
    os.symlink(outside / "secret.py", root / "app" / "linked.py")
    os.symlink(outside, root / "linked_dir")
    os.symlink(root, root / "app" / "loop")
    result = discover(root, None, Config())
    assert [f.path for f in result.files] == ["app/main.py"]
    problems = dict(result.problems)
    assert "outside" in problems["app/linked.py"]
    assert "not followed" in problems["linked_dir"]
    assert "not followed" in problems["app/loop"]


def test_symlink_inside_root_is_kept(tmp_path):
    write_tree(tmp_path, {"app/main.py": ""})
    os.symlink(tmp_path / "app" / "main.py", tmp_path / "alias.py")
    assert [f.path for f in discover(tmp_path, None, Config()).files] == ["alias.py", "app/main.py"]


def test_targets_inside_root(tmp_path):
    write_tree(tmp_path, {"app/a.py": "", "app/b.py": "", "other/c.py": ""})
    result = discover(tmp_path, [tmp_path / "app" / "a.py", tmp_path / "other"], Config())
    assert [f.path for f in result.files] == ["app/a.py", "other/c.py"]


def test_odd_names(tmp_path):
    write_tree(tmp_path, {"-dash.py": "", "with space.py": "", "quote'd.py": "", "ünï.py": ""})
    found = [f.path for f in discover(tmp_path, None, Config()).files]
    assert sorted(found) == sorted(["-dash.py", "with space.py", "quote'd.py", "ünï.py"])
