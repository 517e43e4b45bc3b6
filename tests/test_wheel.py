"""The built wheel, installed with its core dependencies only into a fresh virtual
environment (no system site packages), runs ingest, query and caption from a folder
outside the checkout, and carries its data files (defaults.yaml, the renderer's assets).

Keeping it inside minutes: torch is a CPU-only wheel from pip's find-links where there is
one (the CUDA build adds 4.5 GB and minutes), and every other dependency is pinned to the
version this test environment runs, which spares pip's resolver its metadata downloads.
The venv is kept per wheel content under $ICTRAG_WHEEL_VENV_CACHE (default: the
temp folder), one at a time, so a re-run skips the install; CI starts clean.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
CONSTRAINTS = ROOT / "scripts" / "constraints.txt"
EXTRA_MODULES = ("ray", "peft", "fastapi", "mcp", "langchain_core", "matplotlib", "pyarrow",
                 "sacrebleu", "uvicorn", "torchvision")  # fmt: skip
DATA = ("ictrag/defaults.yaml", "ictrag/training/synth/js/package.json",
        "ictrag/training/synth/js/package-lock.json", "ictrag/training/synth/js/render.mjs")  # fmt: skip

pytestmark = pytest.mark.slow


def _sources(target: Path) -> Path:
    """The files a build reads, copied, so the build leaves nothing in the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "training", target / "training", ignore=ignore)
    # ictrag/training is a dev symlink to ../training in some checkouts; the build maps it
    shutil.copytree(ROOT / "ictrag", target / "ictrag",
                    ignore=lambda d, names: [*ignore(d, names), *(["training"] if Path(d) == ROOT / "ictrag" else [])])  # noqa: E501
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = _sources(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "--no-build-isolation", "-w", str(dist), str(src)],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    (path,) = dist.glob("ictrag-*.whl")
    return path


def _local_cpu_torch() -> list[str]:
    """A CPU-only torch wheel in pip's find-links (this machine's /opt/wheels), pinned: the
    default CUDA build would add gigabytes and minutes to a test of the packaging."""
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        for found in sorted(Path(folder).glob("torch-*+cpu-*.whl")) if Path(folder).is_dir() else ():  # noqa: E501
            return [str(found)]
    return []


def _pins() -> str:
    """name==version of every distribution here, except torch's own stack and ictrag."""
    skip = ("torch", "torchvision", "triton", "nvidia", "cuda", "ictrag")
    lines = set()
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and not name.startswith(skip):
            lines.add(f"{name}=={dist.version}")
    return "\n".join(sorted(lines)) + "\n"


def _key(wheel: Path, torch: list[str]) -> str:
    """The wheel's content (its RECORD hashes every file), the cap and the torch wheel; not
    the pins, which move whenever anyone installs a package into this environment."""
    with zipfile.ZipFile(wheel) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        content = archive.read(record) + CONSTRAINTS.read_bytes()
    return hashlib.sha256(content + " ".join(torch).encode()).hexdigest()[:16]


@pytest.fixture(scope="module")
def venv(wheel) -> Path:
    torch = _local_cpu_torch()
    cache = Path(os.environ.get("ICTRAG_WHEEL_VENV_CACHE")
                 or Path(tempfile.gettempdir()) / "ictrag-wheel-venv")  # fmt: skip
    root = cache / _key(wheel, torch)
    if (root / ".installed").exists():
        return root
    shutil.rmtree(cache, ignore_errors=True)  # one venv at a time: each is gigabytes
    cache.mkdir(parents=True)
    (cache / "pins.txt").write_text(_pins())
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}  # noqa: E501
    install = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q",
                              "-c", str(CONSTRAINTS), "-c", str(cache / "pins.txt"),
                              *torch, str(wheel)],
                             capture_output=True, text=True, timeout=900, env=env)  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    (root / ".installed").write_text(wheel.name + "\n")
    return root


def test_wheel_carries_data_files_and_every_package(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in DATA:
        assert name in names
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "ictrag").rglob("__init__.py")
                if "training" not in p.relative_to(ROOT).parts}  # fmt: skip
    packages |= {"ictrag/" + str(p.parent.relative_to(ROOT)) for p in (ROOT / "training").rglob("__init__.py")}  # noqa: E501
    for package in packages:
        assert f"{package}/__init__.py" in names, f"{package} is missing from the wheel"
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(wheel) as archive:
        requires = [line for line in archive.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:") and "extra ==" not in line]  # fmt: skip
    core = " ".join(requires)
    for extra in ("ray", "peft", "fastapi", "mcp", "langchain-core", "matplotlib", "pyarrow"):
        assert f" {extra}" not in core, f"{extra} is a core dependency"
    assert "torch" in core and "<=" not in core.split("torch", 1)[1].split("Requires-Dist")[0]


def _run(venv: Path, cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:  # noqa: E501
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ICTRAG_CACHE": str(cwd / "cache")}
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def test_core_install_runs_ingest_query_caption(venv, tmp_path):
    probe = "import importlib.util as u, ictrag; print(ictrag.__file__); " \
            f"print([m for m in {EXTRA_MODULES!r} if u.find_spec(m)])"  # fmt: skip
    imported = _run(venv, tmp_path, "python", "-c", probe)
    assert imported.returncode == 0, imported.stderr[-2000:]
    location, present = imported.stdout.strip().splitlines()
    assert Path(location).is_relative_to(venv) and present == "[]"

    assert _run(venv, tmp_path, "ictrag", "--help").returncode == 0
    setup_help = _run(venv, tmp_path, "ictrag", "setup", "renderers", "--help")
    assert setup_help.returncode == 0 and "cache" in setup_help.stdout
    serve = _run(venv, tmp_path, "ictrag", "serve")
    assert serve.returncode == 2 and "pip install 'ictrag[serve]'" in serve.stderr

    docs = tmp_path / "manuals"
    docs.mkdir()
    shutil.copy(SAMPLES / "ict-sample-manual.pdf", docs)
    ingest = _run(venv, tmp_path, "ictrag", "ingest", str(docs), "--index", "kb", "--json")
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    totals = json.loads(ingest.stdout)["totals"]
    assert totals["documents"] == 1 and totals["figures"] > 0
    assert (tmp_path / "indexes" / "kb" / "manifest.sqlite").exists()  # home: indexes (defaults.yaml)

    query = _run(venv, tmp_path, "ictrag", "query", "which interface connects AR-100 to SW-A?",
                 "--index", "kb", "-k", "3", "--json")  # fmt: skip
    assert query.returncode == 0, query.stderr[-3000:]
    hits = json.loads(query.stdout)
    assert hits and hits[0]["doc"] and hits[0]["text"]

    caption = _run(venv, tmp_path, "ictrag", "caption", str(SAMPLES / "topology.png"), "--json")
    assert caption.returncode == 0, caption.stderr[-3000:]
    (figure,) = json.loads(caption.stdout)
    assert figure["logical"]["figure_type"] == "topology"
    assert figure["logical"]["relations"] and "Core-SW-01" in figure["text"]
