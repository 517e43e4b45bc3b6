"""Draw mscgen source with the real renderer (Debian's `mscgen`) for a figure's picture.
Drawing is only for display: the structure comes from the source (figures/mscgen.py), so a
missing or failing renderer costs the picture, never the figure."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ictrag.load.errors import LoadError

TIMEOUT_S = 30


def render_png(code: str, timeout_s: float = TIMEOUT_S) -> bytes:
    """PNG bytes of the chart; LoadError (one line) when mscgen is missing, rejects the
    source or takes longer than `timeout_s`."""
    executable = shutil.which("mscgen")
    if executable is None:
        raise LoadError("mscgen is not installed (scripts/install_renderers.sh)")
    with tempfile.TemporaryDirectory(prefix="ictrag-msc-") as scratch:
        source, out = Path(scratch) / "chart.msc", Path(scratch) / "chart.png"
        source.write_text(code, encoding="utf-8")
        try:
            done = subprocess.run(
                [executable, "-T", "png", "-i", str(source), "-o", str(out)],
                capture_output=True, timeout=timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise LoadError(f"mscgen gave no picture within {timeout_s:.0f} s") from exc
        if done.returncode != 0 or not out.is_file():
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise LoadError(
                f"mscgen cannot draw this source: {lines[0] if lines else done.returncode}"
            )
        return out.read_bytes()
