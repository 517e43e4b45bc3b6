"""Drawings only LibreOffice reads (Visio, EMF/WMF, ODG) through its PDF, and SVG directly:
each page one vector figure for the structural reader; a hung or missing converter is one
line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ictrag.caption import caption_file
from ictrag.config import LoadSettings, load_settings
from ictrag.load import LoadError, load
from tests.conftest import ROOT

OFFICE = ROOT.parent / "shared" / "corpus" / "office"
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">
<rect x="20" y="60" width="100" height="40" fill="white" stroke="black"/>
<text x="40" y="85" font-size="14" font-family="DejaVu Sans">AMF</text>
<rect x="260" y="60" width="100" height="40" fill="white" stroke="black"/>
<text x="280" y="85" font-size="14" font-family="DejaVu Sans">SMF</text>
<line x1="120" y1="80" x2="260" y2="80" stroke="black"/>
<text x="150" y="72" font-size="12" font-family="DejaVu Sans">N11</text>
</svg>
"""


def _svg(folder: Path) -> Path:
    path = folder / "n11.svg"
    path.write_text(SVG)
    return path


def _links(path: Path) -> set[tuple[str, str, str]]:
    figures = caption_file(path, load_settings(), Path(tempfile.mkdtemp()))
    return {(r.source, r.target, r.label) for f in figures for r in f.logical.relations}


def test_an_svg_ingests_as_a_vector_figure(tmp_path):
    from ictrag import KnowledgeBase

    assert ("AMF", "SMF", "N11") in _links(_svg(tmp_path))
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    assert kb.ingest([_svg(tmp_path)]).count("ingested") == 1
    hits = kb.search("N11 between AMF and SMF", k=3, kind="figure")
    assert hits and "N11" in hits[0].chunk.text
    kb.close()


@needs_libreoffice
def test_an_odg_drawing_reads_as_structure_through_libreoffice(tmp_path):
    subprocess.run(
        ["soffice", "--headless", "--norestore", "--convert-to", "odg", "--outdir", str(tmp_path),
         str(_svg(tmp_path))],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    odg = tmp_path / "n11.odg"
    document = load(odg, tmp_path / "figures")
    assert document.metadata["loader"] == "libreoffice" and len(document.figures) == 1
    assert {"AMF", "SMF", "N11"} <= set(document.figures[0].inner_text.split())
    assert ("AMF", "SMF", "N11") in _links(odg)


def test_a_hung_converter_is_killed_and_the_file_fails_in_one_line(tmp_path, monkeypatch):
    # LibreOffice cannot be made to hang on demand: a stand-in that never returns takes its
    # place on PATH, so the time limit and the kill are what is tested.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    drawing = tmp_path / "stuck.vsdx"
    drawing.write_bytes(b"PK\x03\x04 not really")
    started = time.monotonic()
    with pytest.raises(LoadError) as error:
        load(drawing, tmp_path / "figures", LoadSettings(convert_timeout_s=1.5))
    assert time.monotonic() - started < 10
    assert "took longer than 1.5 s" in str(error.value) and "\n" not in str(error.value)


def _pdf_with_listener(folder: str) -> tuple[bool, int | None]:
    """In a worker: convert the test SVG; whether a PDF came, and the listener serving it."""
    from ictrag.load.convert import listener_pid, to_pdfs

    svg = _svg(Path(folder))
    return isinstance(to_pdfs([svg], Path(folder) / "out", 60)[svg], Path), listener_pid()


def _running(group: int) -> bool:
    """Whether any process of process group `group` still runs (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _gone(group: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while _running(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@needs_libreoffice
def test_one_listener_serves_every_conversion_of_a_process(tmp_path):
    from ictrag.load.convert import listener_pid, to_pdfs

    svg = _svg(tmp_path)
    assert isinstance(to_pdfs([svg], tmp_path / "a", 60)[svg], Path)
    first = listener_pid()
    started = time.monotonic()
    second = to_pdfs([svg], tmp_path / "b", 60)[svg]
    warm_s = time.monotonic() - started
    assert isinstance(second, Path) and second.stat().st_size > 0
    assert first is not None and listener_pid() == first
    assert warm_s < 1.0  # a cold LibreOffice start is 1.3-2.5 s here; a handed-over call 0.05 s


@needs_libreoffice
def test_a_conversion_past_its_limit_restarts_the_listener(tmp_path):
    from ictrag.load.convert import listener_pid, to_pdfs

    svg = _svg(tmp_path)
    assert isinstance(to_pdfs([svg], tmp_path / "a", 60)[svg], Path)
    before = listener_pid()
    stuck = to_pdfs([svg], tmp_path / "b", 0.01)[svg]  # no conversion takes 10 ms
    assert stuck == "LibreOffice took longer than 0.01 s to convert it; stopped"
    assert listener_pid() is None and _gone(before)
    assert isinstance(to_pdfs([svg], tmp_path / "c", 60)[svg], Path)  # a fresh listener
    assert listener_pid() not in (None, before)


@needs_libreoffice
def test_the_listener_ends_with_its_process_however_it_ends(tmp_path):
    # killed outright: no exit handler runs, the watchdog shell sees its pipe close
    script = (
        "import os, signal, sys; from tests.test_convert import _pdf_with_listener; "
        f"print(_pdf_with_listener({str(tmp_path)!r})[1], flush=True); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    killed = int(run.stdout.split()[-1])
    assert _gone(killed)
    # a multiprocessing worker (ingest's loaders) does not run atexit, only its finalizers
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    (tmp_path / "w").mkdir()
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        converted, worker = pool.submit(_pdf_with_listener, str(tmp_path / "w")).result()
    assert converted and worker is not None and _gone(worker)


def test_without_libreoffice_a_visio_file_fails_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    drawing = tmp_path / "site.vsd"
    drawing.write_bytes(b"\xd0\xcf\x11\xe0 a Visio 2003 file")
    with pytest.raises(LoadError, match="LibreOffice is not installed"):
        load(drawing, tmp_path / "figures")


@needs_libreoffice
@pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
def test_corpus_visio_files_become_vector_figures(tmp_path):
    call_flow = load(OFFICE / "sofia-SIP_outgoing_call.vsd", tmp_path / "a")
    assert len(call_flow.figures) == 1
    assert {"INVITE", "Ringing", "nua_r_invite"} <= set(call_flow.figures[0].inner_text.split())
    setup = load(OFFICE / "oai_fr1_setup.vsdx", tmp_path / "b")
    assert setup.page_count == 2 and len(setup.figures) == 2


@needs_libreoffice
@pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
def test_visio_objects_embedded_in_word_become_captioned_vector_figures(tmp_path):
    a1ap = load(OFFICE / "O-RAN.WG2.TS.A1AP-R004-v04.04.docx", tmp_path / "a")
    drawings = [f for f in a1ap.figures if f.origin == "vector"]
    assert len(drawings) == 23  # its 23 Visio objects, read instead of their EMF previews
    assert all(f.label.startswith(("Figure 5.", "Figure 6.")) for f in drawings)  # 3GPP captions
    assert sum("Consumer" in f.inner_text and "Producer" in f.inner_text for f in drawings) >= 20
    figures = caption_file(Path(a1ap.source), load_settings(), tmp_path / "c")
    call_flows = [
        f for f in figures
        if f.logical.figure_type.value == "sequence" and any(r.kind == "message" for r in f.logical.relations)
    ]  # fmt: skip
    assert len(call_flows) >= 18  # 19 of the 23 read as call flows with messages here
    s2 = load(OFFICE / "S2-1900429_VLAN_N3IWFSupport.docx", tmp_path / "b")  # Visio 2003 .vsd
    assert len([f for f in s2.figures if f.origin == "vector"]) == 8
    assert all(
        f.label.replace("\xa0", " ").startswith(("Figure 8.2.4-", "Figure 8.3.2-"))
        for f in s2.figures
    )


def test_embedded_drawings_without_libreoffice_leave_the_text(tmp_path, monkeypatch):
    if not OFFICE.is_dir():
        pytest.skip("shared corpus absent")
    monkeypatch.setenv("PATH", str(tmp_path))
    document = load(OFFICE / "S2-1900429_VLAN_N3IWFSupport.docx", tmp_path / "figures")
    assert not [f for f in document.figures if f.origin == "vector"]
    assert "N3IWF" in " ".join(e.text for e in document.elements if hasattr(e, "text"))
