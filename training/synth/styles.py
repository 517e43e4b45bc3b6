"""How one synthetic pair looks: a renderer variant plus fonts, colours, lines, layout, size
and raster noise, drawn from the pair's own seed.

    style = sample_style("graphviz", "topology", rng)
    style.name            # "graphviz:neato": the renderer style a validation split can hold out

The variant is the coarse look (a Graphviz layout engine, a PlantUML skin, a Mermaid theme);
the rest varies inside it. Nothing here changes what is drawn, only how.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ictrag.training.synth import vocab

FONTS = ("DejaVu Sans", "DejaVu Serif", "Liberation Sans", "Liberation Serif",
         "Liberation Sans Narrow", "DejaVu Sans Mono")  # fmt: skip
"""Families installed with fonts-dejavu-core and LibreOffice's fonts-liberation."""
FONT_COLOURS = ("#000000", "#1a1a1a", "#263238", "#0d2b4e")
FILLS = (*vocab.STYLE_FILLS, "#ffffff", "#ffffff", "#f5f5f5", "#dae8fc", "#d5e8d4", "#ffe6cc")
STROKES = (*vocab.STYLE_STROKES, "#000000", "#000000", "#6c8ebf", "#82b366", "#666666")
UNDIRECTED = ("topology", "architecture")

VARIANTS: dict[str, tuple[str, ...]] = {
    "mermaid": tuple(vocab.THEMES),
    "graphviz": ("dot", "neato", "fdp"),
    "plantuml": ("default", "monochrome", "handwritten", "plain", "cerulean"),
    "mscgen": ("default", "slanted"),
    "seqdiag": ("default", "flat"),
    "drawio": ("icons", "flat"),
}


@dataclass(frozen=True)
class Style:
    renderer: str
    variant: str
    font: str = "DejaVu Sans"
    font_size: int = 12
    font_colour: str = "#000000"
    fill: str = "#ffffff"
    stroke: str = "#000000"
    dashed: bool = False
    """Dashed outlines or links where the renderer allows it."""
    direction: str = ""
    """TB or LR: `sources.adapt` turns the structure this way where the renderer lays out a
    direction (so the caption's Mermaid says it too); empty keeps the structure's own."""
    scale: float = 1.5
    raster: str = "none"
    """none, jpeg or scan: what happens to the PNG after rendering."""
    jpeg_quality: int = 85
    labels_below: bool = True
    """draw.io style: device names under the icon (else beside it)."""

    @property
    def name(self) -> str:
        return f"{self.renderer}:{self.variant}"


def variants_for(renderer: str, family: str) -> tuple[str, ...]:
    found = VARIANTS[renderer]
    if renderer == "graphviz" and family not in UNDIRECTED:
        return ("dot",)  # spring layouts scatter flowcharts, state machines and packet tables
    return found


def sample_style(renderer: str, family: str, rng: random.Random, theme: str = "", noise: float = 0.0) -> Style:  # fmt: skip
    """The look of one pair; `theme` fixes a Mermaid pair's variant (its theme); `noise` is
    the chance of JPEG (two thirds) or scan (one third) noise."""
    variant = theme if renderer == "mermaid" and theme else rng.choice(variants_for(renderer, family))  # fmt: skip
    roll = rng.random()
    raster = "none" if roll >= noise else ("jpeg" if roll < noise * 2 / 3 else "scan")
    return Style(
        renderer=renderer,
        variant=variant,
        font=rng.choice(FONTS),
        font_size=rng.choice((10, 11, 12, 12, 13, 14)),
        font_colour=rng.choice(FONT_COLOURS),
        fill=rng.choice(FILLS),
        stroke=rng.choice(STROKES),
        dashed=rng.random() < 0.15,
        direction=rng.choice(("", "", "TB", "LR")),
        scale=rng.choice((1.0, 1.25, 1.5, 1.5, 2.0)),
        raster=raster,
        jpeg_quality=rng.randint(35, 90),
        labels_below=rng.random() < 0.6,
    )
