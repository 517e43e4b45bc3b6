"""Image helpers: normalise any raster image to PNG and store it under its content hash; draw
a plain PNG of a drawing from its cells (draw.io pages, Office drawings)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageDraw, UnidentifiedImageError

from ictrag.model import SourceCell, sha256_bytes

# A decompression bomb guard that still admits large scanned A3 pages (~ 600 dpi).
MAX_IMAGE_PIXELS = 120_000_000
MAX_SIDE = 2000
"""Longest side of a PNG drawn from cells, in pixels."""


class ImageError(ValueError):
    """Bytes that PIL cannot decode as an image."""


def open_image(data: bytes) -> Image.Image:
    """Decode and fully load an image (first frame of animated/multi-page ones)."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise ImageError(f"not a readable image ({exc.__class__.__name__}: {exc})") from exc
    return image


def to_png_bytes(image: Image.Image) -> bytes:
    """PNG bytes of an image, flattened to L/RGB/RGBA so every consumer can read it."""
    if image.mode not in ("L", "RGB", "RGBA"):
        alpha = image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def save_png_bytes(png: bytes, figure_dir: str | Path) -> tuple[str, Path]:
    """Store PNG bytes as <figure_dir>/<sha256>.png (atomic, idempotent) -> (id, path)."""
    digest = sha256_bytes(png)
    folder = Path(figure_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.png"
    if not path.exists():
        temp = folder / f".{digest}.{os.getpid()}.tmp"
        temp.write_bytes(png)
        os.replace(temp, path)
    return digest, path


def save_image(image: Image.Image, figure_dir: str | Path) -> tuple[str, Path]:
    """Convert to PNG and store by content hash -> (sha256 of the PNG, path)."""
    return save_png_bytes(to_png_bytes(image), figure_dir)


def save_image_bytes(data: bytes, figure_dir: str | Path) -> tuple[str, Path, tuple[int, int]]:
    """Decode any PIL-readable image bytes, store as PNG -> (id, path, (width, height))."""
    image = open_image(data)
    digest, path = save_image(image, figure_dir)
    return digest, path, image.size


def _center(box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def draw_cells(cells: list[SourceCell]) -> Image.Image:
    """A plain picture of a drawing from its cells' geometry: boxes, connectors, labels."""
    boxes = {c.id: c.bbox for c in cells if c.bbox is not None}
    if not boxes:
        return Image.new("RGB", (64, 64), "white")
    x0 = min(b[0] for b in boxes.values()) - 20
    y0 = min(b[1] for b in boxes.values()) - 20
    x1 = max(b[2] for b in boxes.values()) + 20
    y1 = max(b[3] for b in boxes.values()) + 20
    scale = min(2.0, MAX_SIDE / max(x1 - x0, y1 - y0, 1))
    image = Image.new(
        "RGB", (max(1, int((x1 - x0) * scale)), max(1, int((y1 - y0) * scale))), "white"
    )
    pen = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * scale, (y - y0) * scale

    for cell in cells:
        if cell.kind == "edge":
            start = _center(boxes[cell.source]) if cell.source in boxes else cell.source_point
            end = _center(boxes[cell.target]) if cell.target in boxes else cell.target_point
            if start and end:
                pen.line([at(*start), at(*end)], fill="black", width=2)
    for cell in cells:
        if cell.bbox is None:
            continue
        left, top = at(cell.bbox[0], cell.bbox[1])
        right, bottom = at(cell.bbox[2], cell.bbox[3])
        if "text" not in cell.style:
            shape = pen.ellipse if "ellipse" in cell.style else pen.rectangle
            shape([left, top, max(left, right), max(top, bottom)], outline="black", fill="white")
        if cell.label:
            pen.multiline_text(
                ((left + right) / 2, (top + bottom) / 2), cell.label, fill="black", anchor="mm"
            )
    return image
