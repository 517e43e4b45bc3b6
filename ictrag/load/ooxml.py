"""OOXML packages (DOCX, PPTX) checked before any parser opens them.

- A password-protected file is not a zip at all but an OLE2 container holding an
  `EncryptedPackage` stream: say so, instead of "not a zip".
- A zip bomb (a member, such as an embedded object, that inflates far past its container) is
  refused from the zip directory alone, before anything is inflated.
- A package whose relationships name parts it does not hold (O-RAN A1TS points two image
  relationships at "NULL") makes python-docx refuse the whole file; such a package is read
  through a copy without those relationships, and the loss is logged once.
"""

from __future__ import annotations

import logging
import posixpath
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

from ictrag.load.errors import LoadError

log = logging.getLogger(__name__)

MAX_MEMBER_MB = 512
"""No part of a document package is this large once inflated."""
MAX_TOTAL_MB = 2048
MAX_RATIO = 200
"""Deflate reaches ~1000:1 only on degenerate data; real parts stay well under 100:1."""
_RATIO_FLOOR_MB = 16
"""Small parts may compress very well (an empty sheet, repeated XML): not suspicious."""
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def check(path: Path) -> None:
    """LoadError (one line) for an encrypted, corrupt or bomb package."""
    kind = path.suffix[1:].upper()
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if _ENCRYPTED in path.read_bytes():
            raise LoadError(f"{path.name}: password-protected {kind}: cannot be read without it")
        raise LoadError(f"{path.name}: an OLE2 (Office 97-2003) file named .{kind.lower()}")
    if not zipfile.is_zipfile(path):
        raise LoadError(f"{path.name}: not a valid {kind} file (not a zip package)")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise LoadError(f"{path.name}: corrupt {kind} package: {error}") from error
    total = 0
    for member in members:
        size_mb = member.file_size / 2**20
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if size_mb > MAX_MEMBER_MB or (size_mb > _RATIO_FLOOR_MB and ratio > MAX_RATIO):
            raise LoadError(
                f"{path.name}: refused as a zip bomb: part {member.filename} inflates to "
                f"{size_mb:.0f} MB from {member.compress_size / 2**10:.0f} KB"
            )
    if total / 2**20 > MAX_TOTAL_MB:
        raise LoadError(
            f"{path.name}: refused as a zip bomb: its parts inflate to {total / 2**20:.0f} MB"
        )


def missing_targets(package: zipfile.ZipFile) -> dict[str, list[str]]:
    """Relationship files -> ids of their internal relationships whose target is absent."""
    names = set(package.namelist())
    missing: dict[str, list[str]] = {}
    for name in names:
        if not name.endswith(".rels"):
            continue
        # word/_rels/document.xml.rels describes word/document.xml: targets are relative to word/
        base = posixpath.dirname(posixpath.dirname(name))
        root = etree.fromstring(package.read(name), _PARSER)
        for rel in root.iter(_REL):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            resolved = posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            )
            if resolved not in names:
                missing.setdefault(name, []).append(rel.get("Id", ""))
    return missing


@contextmanager
def readable(path: Path) -> Iterator[Path]:
    """`path` itself, or a temporary copy without the relationships that name missing parts."""
    with zipfile.ZipFile(path) as package:
        missing = missing_targets(package)
        if not missing:
            yield path
            return
        count = sum(len(ids) for ids in missing.values())
        log.warning(
            "%s: %d relationship(s) name parts the package does not hold; read without them",
            path.name, count,
        )  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="ictrag-ooxml-") as scratch:
            copy = Path(scratch) / path.name
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
                for member in package.infolist():
                    data = package.read(member)
                    if member.filename in missing:
                        data = _without(data, set(missing[member.filename]))
                    out.writestr(member, data)
            yield copy


def _without(rels: bytes, ids: set[str]) -> bytes:
    root = etree.fromstring(rels, _PARSER)
    for rel in list(root.iter(_REL)):
        if rel.get("Id") in ids:
            root.remove(rel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
