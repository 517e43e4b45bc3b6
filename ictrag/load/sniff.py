"""Tell what a file is from its first bytes."""

from __future__ import annotations

from pathlib import Path

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"\xd0\xcf\x11\xe0", "ole"),
]


def sniff(path: Path) -> str:
    """'pdf', 'zip', 'image', 'ole', 'html', 'text' or 'binary'."""
    with open(path, "rb") as handle:
        head = handle.read(2048)
    stripped = head.lstrip()
    for magic, kind in _MAGIC:
        if stripped.startswith(magic) if kind == "pdf" else head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    lowered = stripped[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
        return "html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at the 2048-byte boundary is still text
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "binary"
    return "text"
