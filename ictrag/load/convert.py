"""Files only LibreOffice reads (Visio .vsdx/.vsd, EMF/WMF pictures, .odg) converted to PDF
by LibreOffice run headless, with a time limit: a hung converter is killed with its whole
process group and the file fails with one line.

Each process keeps one LibreOffice user profile for its conversions (made on first use:
later starts are faster, and parallel workers never share a profile's lock).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from ictrag.load.errors import LoadError

INSTALL_HINT = "apt install libreoffice-draw-nogui"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@lru_cache(maxsize=1)
def _profile() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ictrag-lo-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def to_pdf(path: Path, out_dir: Path, timeout_s: float) -> Path:
    """`path` as a PDF in `out_dir`; LoadError (one line) when it cannot be had."""
    executable = soffice()
    if executable is None:
        raise LoadError(f"LibreOffice is not installed ({INSTALL_HINT}); cannot read {path.suffix}")
    command = [
        executable, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
        "--nologo", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out_dir), str(path),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, error = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LoadError(
            f"LibreOffice took longer than {timeout_s:g} s to convert it; stopped"
        ) from None
    pdf = out_dir / f"{path.stem}.pdf"
    if process.returncode != 0 or not pdf.is_file():
        reason = (error.decode("utf-8", "replace").strip().splitlines() or ["no PDF written"])[-1]
        raise LoadError(f"LibreOffice cannot convert it: {reason[:200]}")
    return pdf
