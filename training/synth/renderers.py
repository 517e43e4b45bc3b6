"""Where the Mermaid renderer runs, and `ictrag setup renderers`, which puts it there.

One lookup rule, for a wheel and a dev checkout alike: the renderer runs from
`<cache>/renderers/mermaid`, where <cache> is $ICTRAG_CACHE, else $XDG_CACHE_HOME/ictrag,
else ~/.cache/ictrag. Setup copies the packaged package.json, package-lock.json and
render.mjs (ictrag/training/synth/js) there and runs `npm ci` next to them, so node
resolves `mermaid` and `playwright-core` from that folder's node_modules. npm runs only when
the lock file changed since the last install; no browser is ever downloaded (Debian's
chromium is used).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from pydantic import BaseModel

from ictrag.config import user_cache_dir

PACKAGED_JS = Path(__file__).resolve().parent / "js"
FILES = ("package.json", "package-lock.json", "render.mjs")
PACKAGES = ("mermaid", "playwright-core")
CHROMIUM = "/usr/bin/chromium"
STAMP = ".ictrag-lock-sha256"
"""In node_modules: the sha256 of the package-lock.json it was installed from."""


class SetupError(RuntimeError):
    """The renderer could not be installed; one line."""


class SetupReport(BaseModel):
    directory: str
    installed: bool
    """True when npm ran; False when the node modules were already current."""
    packages: dict[str, str]
    """npm package -> installed version."""


def cache_dir() -> Path:
    return user_cache_dir()


def renderer_dir() -> Path:
    return cache_dir() / "renderers" / "mermaid"


def _lock_sha(directory: Path) -> str:
    return hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()


def modules_current(directory: Path) -> bool:
    """The node modules are installed from the packaged lock file."""
    stamp = directory / "node_modules" / STAMP
    return (
        all((directory / "node_modules" / p / "package.json").exists() for p in PACKAGES)
        and stamp.exists()
        and stamp.read_text().strip() == _lock_sha(PACKAGED_JS)
    )


def sync_files(directory: Path) -> None:
    """Copy the packaged files where they differ (a dev edit of render.mjs shows up)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        source, target = PACKAGED_JS / name, directory / name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)


def missing_tools(chromium: str = CHROMIUM) -> list[str]:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not Path(chromium).exists():
        missing.append(chromium)
    return missing


def installed_versions(directory: Path) -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        manifest = directory / "node_modules" / package / "package.json"
        if manifest.exists():
            versions[package] = json.loads(manifest.read_text()).get("version", "")
    return versions


def setup_renderers(force: bool = False, timeout_s: float = 900.0) -> SetupReport:
    """Install the Mermaid renderer into renderer_dir(); idempotent."""
    missing = missing_tools()
    if missing:
        raise SetupError(
            f"the Mermaid renderer needs {', '.join(missing)}: install them first "
            "(Debian: apt-get install nodejs npm chromium)"
        )
    directory = renderer_dir()
    sync_files(directory)
    if modules_current(directory) and not force:
        return SetupReport(directory=str(directory), installed=False,
                           packages=installed_versions(directory))  # fmt: skip
    env = os.environ | {"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "PUPPETEER_SKIP_DOWNLOAD": "1"}
    command = ["npm", "ci", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"]
    try:
        done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True,
                              timeout=timeout_s, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SetupError(f"npm ci in {directory} took over {timeout_s:.0f} s") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise SetupError(f"npm ci in {directory} failed: {lines[0] if lines else done.returncode}")
    (directory / "node_modules" / STAMP).write_text(_lock_sha(directory) + "\n")
    return SetupReport(directory=str(directory), installed=True,
                       packages=installed_versions(directory))  # fmt: skip
