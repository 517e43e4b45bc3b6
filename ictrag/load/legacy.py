"""Word, PowerPoint and OpenDocument files in formats the OOXML reader does not take (.doc,
.ppt, .odt, .odp): converted to DOCX or PPTX by LibreOffice, then read like one, so their
headings, tables, pictures and embedded drawings come through the same path. The Document
keeps the original file's identity (id, source, type)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ictrag.config import LoadSettings
from ictrag.load.convert import convert
from ictrag.load.errors import LoadError
from ictrag.load.office import load_office
from ictrag.model import Document, sha256_file

TARGETS = {".doc": "docx", ".odt": "docx", ".ppt": "pptx", ".odp": "pptx"}
MIME = {
    ".doc": "application/msword",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ppt": "application/vnd.ms-powerpoint",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}


def load_legacy(path: Path, figure_dir: Path, settings: LoadSettings) -> Document:
    suffix = path.suffix.lower()
    with tempfile.TemporaryDirectory(prefix="ictrag-legacy-") as scratch:
        result = convert([path], Path(scratch), settings.convert_timeout_s, TARGETS[suffix])[path]
        if isinstance(result, str):
            raise LoadError(result)
        document = load_office(result, figure_dir, settings)
    metadata = {
        **document.metadata,
        "loader": "libreoffice+unstructured",
        "converted_to": TARGETS[suffix],
    }
    return document.model_copy(
        update={
            "id": sha256_file(path),
            "source": str(path),
            "mime": MIME[suffix],
            "metadata": metadata,
        }
    )
