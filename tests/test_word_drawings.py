"""Word's own drawings and what surrounds them: `Word.Picture.8` objects and EMF/WMF
pictures read as vector drawings through LibreOffice, embedded PowerPoint slides read from
their shapes, cover-page logos left out, and packages that are broken, encrypted or bombs."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile

import docx
import pytest

from ictrag.config import load_settings
from ictrag.figures.describe import figure_input
from ictrag.figures.structural import StructuralCaptioner
from ictrag.load import LoadError, load
from tests.conftest import ROOT

OFFICE = ROOT.parent / "shared" / "corpus" / "office"
REGISTRATION = json.loads((ROOT / "tests" / "data" / "s2-2209667-registration.json").read_text())
needs_corpus = pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
STEP = re.compile(r"^\s*(\d+[a-e]?)\b")


def _docx_bytes(text: str = "A paragraph.") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _matches(step: dict, relation) -> bool:
    found = STEP.match(relation.label or "")
    if found is None or found.group(1) != step["step"]:
        return False
    if "between" in step:
        return {relation.source, relation.target} <= set(step["between"])
    return (relation.source, relation.target) == (step["source"], step["target"])


def _in_order(steps: list[dict], relations: list) -> int:
    """How many reference steps the relations hold in their order (longest common run)."""
    best = [0] * (len(relations) + 1)
    for step in steps:
        previous = best[:]
        for j, relation in enumerate(relations, start=1):
            best[j] = max(best[j - 1], previous[j], previous[j - 1] + _matches(step, relation))
    return best[-1]


@needs_libreoffice
@needs_corpus
def test_registration_call_flow_of_an_embedded_word_drawing(tmp_path):
    document = load(OFFICE / "S2-2209667-9163r02-23502-Suecr_v1.docx", tmp_path / "figures")
    assert len(document.figures) == 3  # two Word.Picture.8 drawings and one Visio object
    assert all(f.origin == "vector" for f in document.figures)
    [figure] = [f for f in document.figures if f.label.startswith("Figure 4.2.2.2.2-1")]
    assert figure.heading_path[-1].split() == ["4.2.2.2.2", "General", "Registration"]
    [logical] = StructuralCaptioner(load_settings().caption).describe([figure_input(figure)])
    assert logical.figure_type.value == "sequence"
    assert set(REGISTRATION["participants"]) <= set(logical.components)
    messages = [r for r in logical.relations if r.kind == "message"]
    found = _in_order(REGISTRATION["steps"], messages)
    assert found >= 26, f"{found} of {len(REGISTRATION['steps'])} numbered arrows in order"
    notes = " ".join(logical.components) + logical.mermaid
    assert all(f"{n}. " in notes for n in REGISTRATION["boxes"][:4])


@needs_corpus
def test_the_negative_control_has_no_figure_and_cover_logos_are_left_out(tmp_path):
    control = load(OFFICE / "3gpp-ts-33216-v1910.docx", tmp_path / "a")
    assert control.figures == []  # its only pictures are the 3GPP and partner logos
    assert "3GPP" in " ".join(b.text for b in control.text_blocks)


@needs_corpus
def test_an_embedded_slide_is_read_from_its_shapes(tmp_path):
    document = load(OFFICE / "O-RAN.WG5.U.0-R003-v07.00.docx", tmp_path / "a")
    slides = [f for f in document.figures if f.source is not None]
    assert len(slides) == 2 and all(f.source.format == "drawingml" for f in slides)
    assert all(len(f.source.cells) >= 20 for f in slides)


@needs_corpus
def test_a_package_naming_missing_parts_is_read_without_them(tmp_path, caplog):
    document = load(OFFICE / "O-RAN.WG2.TS.A1TS-R004-v04.03.docx", tmp_path / "a")
    assert "2 relationship(s) name parts the package does not hold" in caplog.text
    assert len([f for f in document.figures if f.origin == "vector"]) == 3  # its Visio objects
    assert any("A1" in b.text for b in document.text_blocks)


def test_missing_parts_are_dropped_from_a_copy_not_the_file(tmp_path):
    from ictrag.load.ooxml import missing_targets, readable

    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(io.BytesIO(_docx_bytes("Kept text."))) as source, zipfile.ZipFile(
        path, "w"
    ) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/image" Target="NULL"/></Relationships>',
                )
            out.writestr(member, data)
    with pytest.raises(KeyError):
        docx.Document(str(path))  # what python-docx makes of it
    with zipfile.ZipFile(path) as package:
        assert missing_targets(package) == {"word/_rels/document.xml.rels": ["rId99"]}
    before = path.read_bytes()
    with readable(path) as copy:
        assert copy != path and docx.Document(str(copy)).paragraphs[0].text == "Kept text."
    assert path.read_bytes() == before and not copy.exists()
    assert "Kept text." in " ".join(b.text for b in load(path, tmp_path / "f").text_blocks)


def test_a_password_protected_file_is_one_clear_line(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(_docx_bytes("secret"))).encrypt("password", encrypted)
    path = tmp_path / "locked.docx"
    path.write_bytes(encrypted.getvalue())
    with pytest.raises(LoadError, match="password-protected DOCX"):
        load(path, tmp_path / "f")


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(io.BytesIO(_docx_bytes())) as source, zipfile.ZipFile(
        path, "w", zipfile.ZIP_DEFLATED
    ) as out:
        for member in source.infolist():
            out.writestr(member, source.read(member))
        with out.open("word/embeddings/oleObject1.bin", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(40):  # 40 MB of zeros: about 40 KB in the zip
                member.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(LoadError, match="zip bomb: part word/embeddings/oleObject1.bin"):
        load(path, tmp_path / "f")


@needs_libreoffice
@needs_corpus
def test_word_canvases_and_groups_become_figures_and_rules_do_not(tmp_path):
    from ictrag.load.docx_pictures import docx_pictures

    aad = OFFICE / "O-RAN.WG8.AAD.0-R004-v14.00.docx"
    canvases = [p for p in docx_pictures(aad) if p.embedded == ".docx"]
    assert len(canvases) == 4  # its 4 wpc canvases, each drawn alone by LibreOffice
    e2ap = OFFICE / "O-RAN.WG3.TS.E2AP-R004-v07.00.docx"
    groups = [p for p in docx_pictures(e2ap) if p.embedded == ".docx"]
    # 22 wpg groups: 14 figures (picture pieces and frames); 8 lone rules under headings
    assert len(groups) == 14
    document = load(aad, tmp_path / "figures")
    drawn = [f for f in document.figures if "eGTPu" in f.inner_text or "HO Preparation" in f.inner_text]
    assert len(drawn) == 2 and all(f.origin == "vector" for f in drawn)
    [handover] = [f for f in drawn if "HO Preparation" in f.inner_text]
    [logical] = StructuralCaptioner(load_settings().caption).describe([figure_input(handover)])
    assert logical.figure_type.value == "sequence"
    assert sum(r.kind == "message" for r in logical.relations) >= 40
