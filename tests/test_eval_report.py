"""Side-by-side reports: markdown tables, self-contained HTML with embedded plots and figure
images, rendered in headless Chromium."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest
from PIL import Image
from typer.testing import CliRunner

from ictrag.cli.evaluate import eval_app
from ictrag.evaluation.report import Report, Table, bar_plot, markdown_table, to_html, write_report

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_markdown_table_aligns_numbers_and_escapes_pipes():
    text = markdown_table(["system", "BLEU"], [["a|b", 12.345], ["c", None]])
    assert text.splitlines() == [
        "| system | BLEU |",
        "|---|---:|",
        "| a\\|b | 12.35 |",
        "| c | – |",
    ]


def test_best_value_is_marked_per_group_only():
    table = Table(
        "t", ["kind", "system", "score"],
        [["text", "a", 90.0], ["text", "b", 80.0], ["figure", "a", 10.0], ["figure", "b", 20.0]],
        group_by=0,
    )  # fmt: skip
    page = to_html(Report(title="r", tables=[table]))
    best = re.findall(r'<td class="n best">([\d.]+)</td>', page)
    assert best == ["90.00", "20.00"]


def _png_pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_write_report_is_self_contained(tmp_path: Path):
    plot = bar_plot(
        "BLEU", ["all", "flowchart"], {"a": [30.0, 20.0], "b": [40.0, 10.0]}, "BLEU", "bleu"
    )
    assert _png_pixels(plot.png).size[0] > 300
    report = Report(title="Demo", notes=["note"], tables=[Table("T", ["x", "y"], [["a", 1.0]])],
                    plots=[plot])  # fmt: skip
    markdown, page = write_report(report, tmp_path / "out")
    assert "![BLEU](plots/bleu.png)" in markdown.read_text()
    assert (tmp_path / "out" / "plots" / "bleu.png").read_bytes() == plot.png
    html = page.read_text()
    assert not re.search(r"(src|href)=['\"](?!data:)", html)  # nothing fetched from outside
    [uri] = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert base64.b64decode(uri) == plot.png


def _caption_files(tmp_path: Path, sample_pdf: Path) -> tuple[Path, Path, Path]:
    """Two figures of the sample manual as PNG, reference and two systems' outputs."""
    document = pymupdf.open(sample_pdf)
    xref = document[5].get_images()[0][0]
    pymupdf.Pixmap(document, xref).save(tmp_path / "fig-5-1.png")
    shutil.copy(ROOT / "docs" / "samples" / "topology.png", tmp_path / "topology.png")
    refs = [
        {"id": "f51", "image": "fig-5-1.png", "type": "topology",
         "text": "The firewall FW-DMZ-01 opens TCP 443 to the web server and TCP 25 to the mail relay.",
         "mermaid": "flowchart LR\n I[Internet] --> F[FW-DMZ-01]\n F -->|TCP 443| W[Web Server]\n"
                    " F -->|TCP 25| M[Mail Relay]"},
        {"id": "topo", "image": "topology.png", "type": "topology",
         "text": "Core-SW-01 connects to the access switches Access-SW-02 and Access-SW-03."},
    ]  # fmt: skip
    good = [
        {"id": "f51", "text": "FW-DMZ-01 opens TCP 443 to the web server and TCP 25 to the mail relay.",
         "mermaid": "flowchart LR\n I[Internet] --> F[FW-DMZ-01]\n F --> W[Web Server]"},
        {"id": "topo", "text": "Core-SW-01 connects to Access-SW-02 and Access-SW-03."},
    ]  # fmt: skip
    weak = [{"id": "f51", "text": "A network diagram."}, {"id": "topo", "text": "Switches."}]
    paths = []
    for name, rows in (("ref", refs), ("good", good), ("weak", weak)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        paths.append(path)
    return paths[0], paths[1], paths[2]


def test_caption_report_shows_figures_beside_each_system(tmp_path: Path, sample_pdf: Path):
    ref, good, weak = _caption_files(tmp_path, sample_pdf)
    result = CliRunner().invoke(
        eval_app,
        ["captions", "--ref", str(ref), "--pred", str(good), "--pred", str(weak),
         "--report", str(tmp_path / "report")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report" / "report.html").read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) >= 3  # at least one plot plus the two figures
    sizes = {_png_pixels(base64.b64decode(data)).size for data in images}
    assert (480, 210) in sizes  # Figure 5-1 (960x420) as a 480-pixel thumbnail
    assert "FW-DMZ-01 opens TCP 443" in html and "A network diagram." in html
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "| good |" in markdown and "| weak |" in markdown
    assert "tok:13a" in markdown and "Mermaid parse" in markdown


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_report_renders_in_headless_chromium(tmp_path: Path, sample_pdf: Path):
    ref, good, weak = _caption_files(tmp_path, sample_pdf)
    result = CliRunner().invoke(
        eval_app,
        ["captions", "--ref", str(ref), "--system", f"good={good}", "--system", f"weak={weak}",
         "--report", str(tmp_path / "report")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--screenshot={shot}",
         "--window-size=1200,1600", (tmp_path / "report" / "report.html").as_uri()],
        check=False, capture_output=True, timeout=90,
    )  # fmt: skip
    assert shot.exists() and shot.stat().st_size > 0
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text, table shading, plots, figures
    dominant = max(count for count, _ in colors)
    assert dominant < 0.97 * image.size[0] * image.size[1]
