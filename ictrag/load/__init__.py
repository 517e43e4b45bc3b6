"""load(path) -> Document: pick a loader by what the file is, not only by its name."""

from __future__ import annotations

from pathlib import Path

from ictrag.config import LoadSettings
from ictrag.load.errors import LoadError
from ictrag.load.sniff import sniff
from ictrag.model import Document

__all__ = ["LoadError", "load", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".docx": "office",
    ".pptx": "office",
    ".html": "office",
    ".htm": "office",
    ".md": "office",
    ".markdown": "office",
    ".txt": "office",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".bmp": "image",
    ".tif": "image",
    ".tiff": "image",
    ".webp": "image",
    ".drawio": "drawio",
    ".dio": "drawio",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".svg": "svg",
    ".vsdx": "converted",
    ".vsd": "converted",
    ".emf": "converted",
    ".wmf": "converted",
    ".odg": "converted",
    ".dot": "graphviz",
    ".gv": "graphviz",
    ".doc": "legacy",
    ".odt": "legacy",
    ".ppt": "legacy",
    ".odp": "legacy",
    ".msc": "mscgen",
    ".puml": "plantuml",
    ".plantuml": "plantuml",
    ".pu": "plantuml",
}


def load(
    path: str | Path, figure_dir: str | Path, settings: LoadSettings | None = None
) -> Document:
    """Load one file. Raises LoadError with a one-line reason for anything it cannot read."""
    path = Path(path)
    settings = settings or LoadSettings()
    figure_dir = Path(figure_dir)
    figure_dir.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        raise LoadError(f"not a file: {path}")
    size = path.stat().st_size
    if size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"file too large ({size / 2**20:.0f} MB > {settings.max_file_mb} MB limit)")
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise LoadError(f"unsupported file type '{path.suffix or path.name}'")
    if size == 0 and kind not in ("office", "mermaid", "graphviz", "plantuml", "mscgen"):
        # A 0-byte text file is empty text; a 0-byte PDF or image is a broken file.
        raise LoadError("empty file")
    actual = sniff(path)
    expected = {"pdf": {"pdf"}, "image": {"image"}}.get(kind)
    if expected is not None and actual not in expected:
        raise LoadError(
            f"content does not match its name: a {path.suffix} file that looks like {actual}"
        )
    try:
        if kind == "pdf":
            from ictrag.load.pdf import load_pdf

            return load_pdf(path, figure_dir, settings)
        if kind == "image":
            from ictrag.load.image import load_image

            return load_image(path, figure_dir, settings)
        if kind == "mermaid":
            from ictrag.load.diagram_code import load_mermaid

            return load_mermaid(path)
        if kind in ("svg", "converted"):
            from ictrag.load.drawing import load_converted, load_svg

            if kind == "svg":
                return load_svg(path, figure_dir, settings.figure_dpi)
            return load_converted(path, figure_dir, settings.figure_dpi, settings.convert_timeout_s)
        if kind == "graphviz":
            from ictrag.load.diagram_code import load_dot

            return load_dot(path, figure_dir)
        if kind == "mscgen":
            from ictrag.load.diagram_code import load_msc

            return load_msc(path, figure_dir)
        if kind == "plantuml":
            from ictrag.load.diagram_code import load_plantuml

            return load_plantuml(path, figure_dir)
        if kind == "legacy":
            from ictrag.load.legacy import load_legacy

            return load_legacy(path, figure_dir, settings)
        if kind == "drawio":
            from ictrag.load.drawio import load_drawio

            return load_drawio(path, figure_dir, settings)
        from ictrag.load.office import load_office

        return load_office(path, figure_dir, settings)
    except LoadError:
        raise
    except Exception as error:  # a parser bug or odd file must not sink the batch
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise LoadError(f"{type(error).__name__}: {message}") from error
