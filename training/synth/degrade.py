"""Raster noise for a rendered PNG: JPEG artefacts, or a scan (grey, a slight skew, blur,
sensor noise, then JPEG), as figures look after a manual went through print or a camera.

    image = degrade(Path("a.png"), style, rng)    # the PNG, or the JPEG that replaced it
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from ictrag.training.synth.styles import Style
from PIL import Image, ImageFilter


def degrade(png: Path, style: Style, rng: random.Random) -> Path:
    if style.raster == "none":
        return png
    image = Image.open(png).convert("RGB")
    if style.raster == "scan":
        image = image.convert("L").rotate(
            rng.uniform(-1.5, 1.5), resample=Image.BICUBIC, expand=True, fillcolor=255
        )
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
        pixels = np.asarray(image, dtype=np.float32)
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(3, 10), pixels.shape)  # fmt: skip
        paper = rng.uniform(232, 250)  # grey paper, not pure white
        pixels = np.clip(pixels * (paper / 255.0) + noise, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, mode="L")
    target = png.with_suffix(".jpg")
    image.save(target, "JPEG", quality=style.jpeg_quality)
    png.unlink()
    return target
