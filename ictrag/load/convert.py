"""Files only LibreOffice reads converted by LibreOffice run headless, with a time limit: a
hung converter is killed with its whole process group and the file fails with one line.
Drawings (Visio .vsdx/.vsd, EMF/WMF pictures, .odg) become PDF for the vector reader;
documents and decks in other formats (.doc, .odt, .ppt, .odp) become DOCX or PPTX for the
OOXML reader.

Each process keeps one LibreOffice user profile for its conversions (made on first use:
later starts are faster, and parallel workers never share a profile's lock).
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from ictrag.load.errors import LoadError

INSTALL_HINT = "apt install libreoffice-draw-nogui"
INSTALL_HINTS = {
    "docx": "apt install libreoffice-writer-nogui",
    "pptx": "apt install libreoffice-impress-nogui",
}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@lru_cache(maxsize=1)
def _profile() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ictrag-lo-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def to_pdf(path: Path, out_dir: Path, timeout_s: float) -> Path:
    """`path` as a PDF in `out_dir`; LoadError (one line) when it cannot be had."""
    result = to_pdfs([path], out_dir, timeout_s)[path]
    if isinstance(result, str):
        raise LoadError(result)
    return result


def to_pdfs(paths: list[Path], out_dir: Path, timeout_s: float) -> dict[Path, Path | str]:
    """Several files through one LibreOffice start (it converts them in turn): each path's
    PDF, or the one-line reason it has none. The converter is killed when `timeout_s` pass
    without it finishing a file; the files it had not reached then fail."""
    return convert(paths, out_dir, timeout_s, "pdf")


def convert(
    paths: list[Path], out_dir: Path, timeout_s: float, target: str
) -> dict[Path, Path | str]:
    """`to_pdfs` for any format LibreOffice writes ("docx", "pptx", ...)."""
    executable = soffice()
    if executable is None:
        missing = f"LibreOffice is not installed ({INSTALL_HINTS.get(target, INSTALL_HINT)})"
        return {path: missing for path in paths}
    command = [
        executable, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
        "--nologo", "--nolockcheck", "--convert-to", target, "--outdir", str(out_dir),
        *map(str, paths),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    lines: queue.Queue[bytes | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    stalled = False
    while True:
        try:
            line = lines.get(timeout=timeout_s)  # each finished file resets the clock
        except queue.Empty:
            os.killpg(process.pid, signal.SIGKILL)
            stalled = True
            break
        if line is None:
            break
        output.append(line.decode("utf-8", "replace").strip())
    process.wait()
    reason = next((text for text in reversed(output) if text), "no PDF written")[:200]
    results: dict[Path, Path | str] = {}
    for path in paths:
        out = out_dir / f"{path.stem}.{target}"
        if out.is_file() and out.stat().st_size > 0:
            results[path] = out
        elif stalled:
            results[path] = f"LibreOffice took longer than {timeout_s:g} s to convert it; stopped"
        else:
            results[path] = f"LibreOffice cannot convert it: {reason}"
    return results


def _pump(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)
    lines.put(None)
