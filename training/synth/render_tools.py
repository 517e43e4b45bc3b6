"""The real diagram renderers: Graphviz `dot`, PlantUML (java + plantuml.jar), `mscgen` and
seqdiag, found on this machine and run on a diagram source. Install them with
scripts/install_renderers.sh (or scripts/setup.sh --with-render).

    render(source, "plantuml", pdf=Path("a.pdf"), png=Path("a.png"))
    missing_renderers()          # names of the renderers not installed here

Each tool writes SVG (Graphviz writes its own PDF and PNG); the SVG becomes PDF and PNG
with rsvg-convert, as the real-figures corpus was made, or with PyMuPDF where
rsvg-convert is absent. A renderer that is not installed raises `RendererMissing` with what
to install; a source the tool rejects raises `DiagramRenderError` with the tool's message.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ictrag.load.plantuml import plantuml_jar

RENDERERS = ("dot", "plantuml", "mscgen", "seqdiag")
EXTENSIONS = {
    ".dot": "dot", ".gv": "dot", ".puml": "plantuml", ".plantuml": "plantuml", ".pu": "plantuml",
    ".wsd": "plantuml", ".msc": "mscgen", ".diag": "seqdiag",
}  # fmt: skip
INSTALL_HINT = "run scripts/install_renderers.sh"
TIMEOUT_S = 120


class RendererMissing(RuntimeError):
    """A renderer is not installed; the message says which and how to install it."""


class DiagramRenderError(RuntimeError):
    """The renderer ran and rejected the source; one line from its output."""


def command(renderer: str) -> list[str]:
    """The command line prefix that runs `renderer`; RendererMissing when it is absent."""
    if renderer == "plantuml":
        java, jar = shutil.which("java"), plantuml_jar()
        if java is None or jar is None:
            absent = " and ".join(x for x, ok in (("java", java), ("plantuml.jar", jar)) if not ok)
            raise RendererMissing(f"plantuml needs {absent}: {INSTALL_HINT}")
        return [java, "-Djava.awt.headless=true", "-jar", str(jar)]
    names = {"dot": ("dot",), "mscgen": ("mscgen",), "seqdiag": ("seqdiag3", "seqdiag")}
    if renderer not in names:
        raise ValueError(f"unknown renderer {renderer!r} (one of {', '.join(RENDERERS)})")
    for name in names[renderer]:
        found = shutil.which(name)
        if found:
            return [found]
    raise RendererMissing(f"{renderer} is not installed: {INSTALL_HINT}")


def available(renderer: str) -> bool:
    try:
        command(renderer)
    except RendererMissing:
        return False
    return True


def missing_renderers() -> list[str]:
    return [r for r in RENDERERS if not available(r)]


def renderer_for(path: str | Path) -> str:
    """The renderer of a source file, by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ValueError(f"no renderer for {suffix or 'a file without extension'}")
    return EXTENSIONS[suffix]


def _run(args: list[str], renderer: str, stdin: str | None = None) -> bytes:
    try:
        done = subprocess.run(args, input=stdin.encode() if stdin is not None else None,
                              capture_output=True, timeout=TIMEOUT_S, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise DiagramRenderError(f"{renderer}: no result after {TIMEOUT_S} s") from error
    if done.returncode != 0:
        message = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        raise DiagramRenderError(
            f"{renderer}: {message[0] if message else f'exit {done.returncode}'}"
        )
    return done.stdout


def render_svg(source: str, renderer: str) -> str:
    """The SVG text of the diagram `source` drawn by `renderer`."""
    prefix = command(renderer)
    if renderer == "dot":
        return _run([*prefix, "-Tsvg"], renderer, source).decode()
    if renderer == "plantuml":
        return _run([*prefix, "-tsvg", "-pipe", "-charset", "UTF-8"], renderer, source).decode()
    with tempfile.TemporaryDirectory(prefix="ictrag-render-") as tmp:
        src, out = Path(tmp) / "diagram.src", Path(tmp) / "diagram.svg"
        src.write_text(source, encoding="utf-8")
        if renderer == "mscgen":
            _run([*prefix, "-T", "svg", "-i", str(src), "-o", str(out)], renderer)
        else:
            _run([*prefix, "-Tsvg", "-o", str(out), str(src)], renderer)
        if not out.is_file():
            raise DiagramRenderError(f"{renderer}: wrote no SVG")
        return out.read_text(encoding="utf-8")


def svg_to(svg: str, pdf: Path | None = None, png: Path | None = None, scale: float = 2.0) -> None:
    """Write the SVG as PDF (real text) and/or PNG (`scale` x its CSS pixels)."""
    rsvg = shutil.which("rsvg-convert")
    if rsvg:
        for out, fmt, extra in ((pdf, "pdf", []), (png, "png", ["-z", str(scale), "-b", "white"])):
            if out is not None:
                _run([rsvg, "-f", fmt, *extra, "-o", str(out)], "rsvg-convert", svg)
        return
    import pymupdf

    doc = pymupdf.open(stream=svg.encode(), filetype="svg")
    page_pdf = pymupdf.open(stream=doc.convert_to_pdf(), filetype="pdf")
    if pdf is not None:
        page_pdf.save(pdf)
    if png is not None:
        page_pdf[0].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False).save(png)


def render(
    source: str,
    renderer: str,
    pdf: Path | None = None,
    png: Path | None = None,
    svg: Path | None = None,
    scale: float = 2.0,
) -> None:
    """Draw `source` with the real `renderer` into the files asked for."""
    if renderer == "dot":
        prefix = command("dot")
        if pdf is not None:
            _run([*prefix, "-Tpdf", "-o", str(pdf)], renderer, source)
        if png is not None:
            _run([*prefix, "-Tpng", f"-Gdpi={round(72 * scale)}", "-o", str(png)], renderer, source)
        if svg is not None:
            svg.write_text(render_svg(source, renderer), encoding="utf-8")
        return
    text = render_svg(source, renderer)
    if svg is not None:
        svg.write_text(text, encoding="utf-8")
    svg_to(text, pdf=pdf, png=png, scale=scale)


def plantuml_svgs(sources: list[str]) -> list[str | DiagramRenderError]:
    """SVG text of many PlantUML sources from one JVM (its start-up is most of the cost of a
    small diagram); a source PlantUML rejects gets a DiagramRenderError in its place."""
    if not sources:
        return []
    prefix = command("plantuml")
    with tempfile.TemporaryDirectory(prefix="ictrag-plantuml-") as tmp:
        files = []
        for number, source in enumerate(sources):
            path = Path(tmp) / f"d{number:05d}.puml"
            path.write_text(source, encoding="utf-8")
            files.append(path)
        try:
            subprocess.run([*prefix, "-tsvg", "-charset", "UTF-8", *map(str, files)],
                           capture_output=True, timeout=TIMEOUT_S + 5 * len(files), check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return [DiagramRenderError(f"plantuml: no result after {TIMEOUT_S} s")] * len(files)
        results: list[str | DiagramRenderError] = []
        for path in files:
            svg = path.with_suffix(".svg")
            text = svg.read_text(encoding="utf-8") if svg.is_file() else ""
            if not text:
                results.append(DiagramRenderError("plantuml: wrote no SVG"))
            elif "Syntax Error?" in text or 'fill="#33FF02"' in text:  # its error picture
                results.append(DiagramRenderError("plantuml: syntax error"))
            else:
                results.append(text)
        return results
