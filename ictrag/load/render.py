"""Image helpers: normalise any raster image to PNG and store it under its content hash."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ictrag.model import sha256_bytes

# A decompression bomb guard that still admits large scanned A3 pages (~ 600 dpi).
MAX_IMAGE_PIXELS = 120_000_000


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
