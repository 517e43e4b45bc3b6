"""The core commands run without any extra installed; an extra's command says which to add.

Absence is simulated in a subprocess: a sitecustomize on PYTHONPATH hides the extras'
packages from every import finder, so `import ray` fails and find_spec("ray") is None,
exactly as when the package is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ictrag.extras import EXTRAS, MissingExtra, require

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
HIDDEN = ("ray", "peft", "fastapi", "mcp", "langchain_core", "matplotlib", "pyarrow",
          "sacrebleu", "uvicorn", "multipart", "accelerate")  # fmt: skip

SITECUSTOMIZE = """
import sys

HIDDEN = set({hidden!r})


class _Hide:
    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find else None

    def find_distributions(self, *args, **kwargs):
        # importlib.metadata asks this: no dist-info either, as after `pip uninstall`
        find = getattr(self.finder, "find_distributions", None)
        for dist in find(*args, **kwargs) if find else ():
            name = (dist.metadata["Name"] or "").lower().replace("-", "_")
            if name not in HIDDEN and name.removeprefix("python_") not in HIDDEN:
                yield dist

    def __getattr__(self, attr):
        return getattr(self.finder, attr)


sys.meta_path[:] = [_Hide(finder) for finder in sys.meta_path]
"""


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A working folder outside the checkout and an environment that hides the extras."""
    home = tmp_path_factory.mktemp("bare")
    site = home / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE.format(hidden=HIDDEN)))
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
                        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip
    return home, env


def _ictrag(bare, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    home, env = bare
    return subprocess.run([sys.executable, "-m", "ictrag", *args], cwd=home, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def test_the_blocker_hides_the_extras(bare):
    home, env = bare
    code = f"import importlib.util as u; print([u.find_spec(m) is None for m in {HIDDEN!r}])"
    run = subprocess.run([sys.executable, "-c", code], cwd=home, env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str([True] * len(HIDDEN))


def test_help_and_core_commands_run_without_extras(bare):
    home, _ = bare
    assert "ingest" in _ictrag(bare, "--help").stdout
    docs = home / "manuals"
    docs.mkdir()
    shutil.copy(SAMPLES / "ict-sample-manual.pdf", docs)
    index = str(home / "idx")
    ingest = _ictrag(bare, "ingest", str(docs), "--index", index, "--workers", "1", "--json")
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    assert json.loads(ingest.stdout)["totals"]["documents"] == 1
    query = _ictrag(bare, "query", "which interface connects AR-100 to SW-A?", "--index", index,
                    "--json", "-k", "3")  # fmt: skip
    assert query.returncode == 0, query.stderr[-2000:]
    hits = json.loads(query.stdout)
    assert hits and hits[0]["doc"]
    listed = _ictrag(bare, "docs", "--index", index, "--json")
    assert [row["title"] for row in json.loads(listed.stdout)] != []
    caption = _ictrag(bare, "caption", str(SAMPLES / "topology.png"), "--json")
    assert caption.returncode == 0, caption.stderr[-2000:]
    figures = json.loads(caption.stdout)
    assert figures and figures[0]["logical"]["figure_type"] == "topology"
    assert figures[0]["logical"]["relations"] and "Core-SW-01" in figures[0]["text"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["serve"], "error: 'ictrag serve' needs the serve extra"),
        (["mcp"], "error: 'ictrag mcp' needs the serve extra"),
        (["ingest", "nowhere", "--engine", "ray"], "error: 'ictrag ingest --engine ray' needs the ray extra"),  # noqa: E501
    ],
)
def test_an_extras_command_names_the_extra(bare, args, line):
    run = _ictrag(bare, *args, timeout=120)
    assert run.returncode == 2, run.stderr[-2000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), run.stderr[-2000:]
    assert "pip install 'ictrag[" in lines[0]


def test_require_passes_when_installed_and_names_what_is_missing():
    require("serve", "ictrag serve")  # installed in the test environment
    EXTRAS["_probe"] = ("json", "no_such_module_xyz")
    try:
        with pytest.raises(MissingExtra, match=r"needs the _probe extra \(no_such_module_xyz"):
            require("_probe", "ictrag probe")
    finally:
        del EXTRAS["_probe"]


def test_extras_match_pyproject():
    """Each extra in ictrag/extras.py is one in pyproject.toml, and `all` covers them."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    all_names = extras["all"][0].partition("[")[2].rstrip("]").split(",")
    assert set(EXTRAS) <= set(all_names)
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    core_names = {dep.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip() for dep in core}
    for hidden in ("ray", "peft", "fastapi", "mcp", "langchain-core", "matplotlib", "pyarrow"):
        assert hidden not in core_names
