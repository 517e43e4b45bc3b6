"""`ictrag setup renderers`: the cache folder rule, npm ci into it once, clear errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ictrag.training.synth import renderers
from ictrag.training.synth.render import missing_requirements

ROOT = Path(__file__).resolve().parent.parent


def test_cache_folder_rule(monkeypatch, tmp_path):
    monkeypatch.delenv("ICTRAG_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert renderers.renderer_dir() == tmp_path / "home" / ".cache" / "ictrag" / "renderers" / "mermaid"  # noqa: E501
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert renderers.cache_dir() == tmp_path / "xdg" / "ictrag"
    monkeypatch.setenv("ICTRAG_CACHE", str(tmp_path / "mine"))
    assert renderers.renderer_dir() == tmp_path / "mine" / "renderers" / "mermaid"
    # the renderer looks in the same place
    assert any(str(tmp_path / "mine") in item for item in missing_requirements())


def test_packaged_assets_exist():
    for name in renderers.FILES:
        assert (renderers.PACKAGED_JS / name).stat().st_size > 100


def test_missing_tools_is_one_line(tmp_path):
    env = os.environ | {"PATH": str(tmp_path), "ICTRAG_CACHE": str(tmp_path / "cache"),
                        "PYTHONPATH": str(ROOT)}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "ictrag", "setup", "renderers"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the Mermaid renderer needs node, npm")
    assert not (tmp_path / "cache" / "renderers").exists()


@pytest.mark.skipif(bool(renderers.missing_tools()), reason="node, npm or chromium missing")
def test_setup_installs_once_and_refreshes_the_script(monkeypatch, tmp_path):
    monkeypatch.setenv("ICTRAG_CACHE", str(tmp_path))
    first = renderers.setup_renderers()
    target = Path(first.directory)
    assert first.installed and target == tmp_path / "renderers" / "mermaid"
    assert set(first.packages) == {"mermaid", "playwright-core"} and all(first.packages.values())
    assert renderers.modules_current(target)
    (target / "render.mjs").write_text("// stale\n")
    second = renderers.setup_renderers()
    assert not second.installed  # npm did not run again
    assert (target / "render.mjs").read_bytes() == (renderers.PACKAGED_JS / "render.mjs").read_bytes()  # noqa: E501
    assert missing_requirements() == []
    shutil.rmtree(target / "node_modules" / "mermaid")
    assert not renderers.modules_current(target)
