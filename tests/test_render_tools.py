"""Each real renderer (Graphviz, PlantUML, mscgen, seqdiag) draws a tiny diagram into a PDF
whose text layer holds the labels and a PNG; skipped per renderer only where it is absent."""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest
from ictrag.training.synth import render_tools as renderers
from PIL import Image

SOURCES = {
    "dot": 'digraph g { Gateway -> Resolver [label="Lookup"]; Resolver -> Cache; }',
    "plantuml": "@startuml\nparticipant Gateway\nparticipant Resolver\n"
    "Gateway -> Resolver : Lookup\nResolver --> Gateway : Cache\n@enduml\n",
    "mscgen": 'msc { Gateway, Resolver; Gateway => Resolver [label="Lookup"]; '
    'Resolver >> Gateway [label="Cache"]; }',
    "seqdiag": 'seqdiag { Gateway -> Resolver [label = "Lookup"]; '
    'Gateway <- Resolver [label = "Cache"]; }',
}
LABELS = ("Gateway", "Resolver", "Lookup", "Cache")


@pytest.mark.parametrize("renderer", renderers.RENDERERS)
def test_real_renderer_draws_labels(renderer: str, tmp_path: Path) -> None:
    if not renderers.available(renderer):
        pytest.skip(f"{renderer} not installed; run scripts/install_renderers.sh")
    pdf, png = tmp_path / "d.pdf", tmp_path / "d.png"
    renderers.render(SOURCES[renderer], renderer, pdf=pdf, png=png)
    assert pdf.read_bytes().startswith(b"%PDF")
    with pymupdf.open(pdf) as doc:
        text = re.sub(r"\s+", "", "".join(page.get_text() for page in doc))
    for label in LABELS:
        assert label in text, (renderer, label, text)
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert min(image.size) > 50
        low, high = image.convert("L").getextrema()
        assert low < high  # something is drawn


def test_missing_renderer_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderers.shutil, "which", lambda name: None)
    for renderer in renderers.RENDERERS:
        with pytest.raises(renderers.RendererMissing, match="install_renderers"):
            renderers.render(SOURCES[renderer], renderer)


def test_rejected_source_is_one_error() -> None:
    if not renderers.available("dot"):
        pytest.skip("dot not installed")
    with pytest.raises(renderers.DiagramRenderError, match="dot"):
        renderers.render_svg("digraph { a -> ", "dot")


def test_renderer_for_extension() -> None:
    assert renderers.renderer_for("x/01-a.puml") == "plantuml"
    assert renderers.renderer_for("b.diag") == "seqdiag"
    with pytest.raises(ValueError):
        renderers.renderer_for("c.txt")
