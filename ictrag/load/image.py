"""A standalone image file (PNG, JPEG, GIF, BMP, TIFF, WebP: whatever PIL reads) -> a
Document holding one raster Figure; OCR and captioning happen later, in the figure stage."""

from __future__ import annotations

from pathlib import Path

from ictrag.config import LoadSettings
from ictrag.load.errors import LoadError
from ictrag.load.render import ImageError, open_image, save_image
from ictrag.model import Document, Figure, sha256_bytes


def load_image(
    path: str | Path, figure_dir: str | Path, settings: LoadSettings | None = None
) -> Document:
    """Document id = sha256 of the file; its one Figure's id = sha256 of the stored PNG."""
    settings = settings or LoadSettings()
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    if path.stat().st_size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"{path.name}: larger than {settings.max_file_mb} MB")
    data = path.read_bytes()
    if not data:
        raise LoadError(f"{path.name}: empty file")
    try:
        image = open_image(data)
    except ImageError as exc:
        raise LoadError(f"{path.name}: {exc}") from exc
    fmt = (image.format or "").lower()
    digest, png_path = save_image(image, figure_dir)
    width, height = image.size
    figure = Figure(
        id=digest,
        page=1,
        bbox=(0.0, 0.0, float(width), float(height)),
        origin="raster",
        image_path=str(png_path),
        label=path.stem,
    )
    return Document(
        id=sha256_bytes(data),
        source=str(path),
        title=path.stem,
        mime=f"image/{fmt}" if fmt else "application/octet-stream",
        page_count=1,
        elements=[figure],
        metadata={"loader": "image", "width": str(width), "height": str(height)},
    )
