"""Side-by-side reports: one markdown file and one self-contained HTML file per evaluation.

The HTML embeds everything (matplotlib plots and figure images as base64 PNG), so it can be
mailed or attached to a run as a single file. The markdown holds the same tables and links
the plots, written as PNG files beside it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Cell = str | float | int | None


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""
    group_by: int | None = None
    """Column whose equal values form one comparison group (best value bold per group)."""


@dataclass
class Plot:
    title: str
    png: bytes
    name: str


@dataclass
class GalleryItem:
    id: str
    image: str | None
    reference: str
    outputs: dict[str, str]
    note: str = ""


@dataclass
class Report:
    title: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    gallery: list[GalleryItem] = field(default_factory=list)


def fmt(value: Cell, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    def cell(value: Cell) -> str:
        return fmt(value).replace("|", "\\|").replace("\n", " ")

    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) if rows else False
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def bar_plot(
    title: str, categories: Sequence[str], series: dict[str, Sequence[float]], ylabel: str,
    name: str,
) -> Plot:  # fmt: skip
    """Grouped bars: one group per category, one bar per series (system)."""
    from ictrag.extras import require

    require("eval", "ictrag eval")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / max(1, len(series))
    figure, axes = plt.subplots(
        figsize=(max(5.0, 1.2 * len(categories) + 3), 3.6), dpi=100, layout="constrained"
    )
    for index, (label, values) in enumerate(series.items()):
        positions = [i + (index - (len(series) - 1) / 2) * width for i in range(len(categories))]
        axes.bar(positions, list(values), width=width, label=label)
    axes.set_xticks(range(len(categories)), list(categories), rotation=20, ha="right")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    figure.legend(fontsize=8, loc="outside right upper")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return Plot(title=title, png=buffer.getvalue(), name=name)


def _thumbnail(path: str | None, max_side: int = 480) -> str | None:
    """A data: URI of the image scaled to fit max_side, or None when unreadable."""
    if not path:
        return None
    try:
        from PIL import Image

        with Image.open(path) as opened:
            image = opened.convert("RGB")
    except (OSError, ValueError):
        return None
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_markdown(report: Report, plot_dir: str = "plots") -> str:
    parts = [f"# {report.title}", ""]
    parts += [f"- {note}" for note in report.notes]
    for table in report.tables:
        parts += ["", f"## {table.title}", "", markdown_table(table.headers, table.rows)]
        if table.note:
            parts += ["", table.note]
    if report.plots:
        parts += ["", "## Plots", ""]
        parts += [f"![{plot.title}]({plot_dir}/{plot.name}.png)" for plot in report.plots]
    if report.gallery:
        systems = list(report.gallery[0].outputs)
        parts += ["", "## Outputs side by side", ""]
        rows = [
            [item.id, f"![]({item.image})" if item.image else "", item.reference]
            + [item.outputs.get(name, "") for name in systems]
            for item in report.gallery
        ]
        parts.append(markdown_table(["id", "figure", "reference", *systems], rows))
    return "\n".join(parts) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff}
table{border-collapse:collapse;margin:8px 0 20px}
th,td{border:1px solid #bbb;padding:4px 8px;vertical-align:top}
th{background:#eef2f8} td.n{text-align:right;font-variant-numeric:tabular-nums}
td.best{font-weight:bold;background:#e6f5e6}
.gallery td{max-width:420px;font-size:13px;white-space:pre-wrap}
.gallery img{max-width:400px;border:1px solid #ddd}
.note{color:#555;font-size:13px}
"""


def _best(table: Table) -> set[tuple[int, int]]:
    """(row, column) of the best (highest) numeric value per column within each group."""
    groups: dict[Cell, list[int]] = {}
    for index, row in enumerate(table.rows):
        groups.setdefault(row[table.group_by] if table.group_by is not None else None, []).append(
            index
        )
    best = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        for column in range(1, len(table.headers)):
            values = [table.rows[i][column] for i in members]
            if column == table.group_by or not all(isinstance(v, float) for v in values):
                continue
            top = max(values)
            if min(values) < top:
                best |= {(i, column) for i in members if table.rows[i][column] == top}
    return best


def _html_table(table: Table) -> str:
    best = _best(table)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for i, value in enumerate(row):
            classes = "n" if isinstance(value, (int, float)) else ""
            if (r, i) in best:
                classes += " best"
            cells.append(f'<td class="{classes.strip()}">{html.escape(fmt(value))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return f"<h2>{html.escape(table.title)}</h2><table><tr>{head}</tr>{''.join(body)}</table>{note}"


def to_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    if report.notes:
        parts.append(
            "<ul class='note'>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
            + "</ul>"
        )
    parts += [_html_table(table) for table in report.tables]
    for plot in report.plots:
        data = base64.b64encode(plot.png).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(plot.title)}' src='data:image/png;base64,{data}'>"
            f"</figure>"
        )
    if report.gallery:
        systems = list(report.gallery[0].outputs)
        head = "".join(
            f"<th>{html.escape(s)}</th>" for s in ["id", "figure", "reference", *systems]
        )
        rows = []
        for item in report.gallery:
            uri = _thumbnail(item.image)
            image = f"<img src='{uri}'>" if uri else html.escape(item.image or "")
            cells = [item.id + (f"\n{item.note}" if item.note else ""), None, item.reference]
            cells += [item.outputs.get(name, "") for name in systems]
            rendered = [image if value is None else html.escape(str(value)) for value in cells]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in rendered) + "</tr>")
        parts.append(
            f"<h2>Outputs side by side</h2><table class='gallery'><tr>{head}</tr>"
            f"{''.join(rows)}</table>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: Report, out_dir: str | Path, stem: str = "report") -> tuple[Path, Path]:
    """Write `<stem>.md` (+ plots/*.png) and the self-contained `<stem>.html`; return both."""
    out = Path(out_dir)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    for plot in report.plots:
        (out / "plots" / f"{plot.name}.png").write_bytes(plot.png)
    markdown = out / f"{stem}.md"
    markdown.write_text(to_markdown(report), encoding="utf-8")
    page = out / f"{stem}.html"
    page.write_text(to_html(report), encoding="utf-8")
    return markdown, page
