"""OCR captioner: a figure's own words, from its vector text spans or from OCR of its PNG.

`ocr_lines(path)` is the reusable primitive (RapidOCR, bundled PP-OCRv4 ONNX models, CPU):
each image is OCRed once per process (keyed by the PNG's sha256) and, with a cache folder,
once ever. `OcrCaptioner` turns the words into a LogicalText (no relations: that is the
structural parsers' job).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ictrag.config import usable_cores
from ictrag.figures.base import FigureInput
from ictrag.model import BBox, FigureType, LogicalText, sha256_file

log = logging.getLogger(__name__)

OCR_MODEL = "rapidocr/PP-OCRv6-small"
# PP-OCRv6 (rapidocr 3.x, models bundled in the wheel) keeps the spaces between words that
# PP-OCRv4 dropped ("Nearbyhigh-speednodes"), which BM25 and the embedder both need; it
# costs about 1.7x the time per figure. The angle classifier is off (diagram text is
# upright). ONNX runs on the usable cores (THREADS is set per engine); an ingest gives each
# loader its share of them (use_threads).
THREADS = "EngineConfig.onnxruntime.intra_op_num_threads"
ENGINE_PARAMS: dict = {
    "Global.use_cls": False,
    "Global.log_level": "critical",
    "Global.max_side_len": 2000,
    # One text line per recognition call: batches pad every line to the widest, which cost
    # 12% more time on the corpus's raster figures for the same words.
    "Rec.rec_batch_num": 1,
    # Lines are padded to at least this width before recognition. At PaddleOCR's 320 a
    # diagram label like "OBS" is two-thirds padding; 96 cut recognition time by a quarter
    # on the corpus's raster figures for the same words (99.2 % identical, the rest noise).
    "Rec.rec_img_shape": [3, 48, 96],
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
CACHE_VERSION = "4"


@dataclass(frozen=True)
class OcrLine:
    text: str
    bbox: BBox
    """x0, y0, x1, y1 in the image's pixels (or page points for vector spans)."""
    score: float


_engines: dict[int, object] = {}  # thread count -> RapidOCR built with it
_engine_lock = threading.Lock()
_threads: Callable[[], int] = usable_cores
_memo: dict[str, list[OcrLine]] = {}
_memo_lock = threading.Lock()


def configure(**params) -> None:
    """Change RapidOCR params (dotted config keys, e.g. `**{"Det.limit_side_len": 960}`);
    engines are rebuilt on their next use."""
    with _engine_lock:
        ENGINE_PARAMS.update(params)
        _engines.clear()


def use_threads(threads: int | Callable[[], int]) -> None:
    """Run OCR on `threads` ONNX threads from now on, or on what the function says before
    each image (an in-process loader takes more cores while the embedder is idle). One
    engine is kept per count, so a changing count costs no model load."""
    global _threads
    with _engine_lock:
        _threads = threads if callable(threads) else (lambda: threads)


def _get_engine():
    with _engine_lock:
        threads = max(1, int(_threads()))
        engine = _engines.get(threads)
        if engine is None:
            import logging as _logging

            from rapidocr import RapidOCR

            engine = _engines[threads] = RapidOCR(params={**ENGINE_PARAMS, THREADS: threads})
            _logging.getLogger("RapidOCR").setLevel(_logging.WARNING)
        return engine


def _cache_file(cache_dir: Path, digest: str) -> Path:
    return cache_dir / "ocr_lines" / digest[:2] / f"{digest}.v{CACHE_VERSION}.json"


def _read_cache(cache_dir: Path | None, digest: str) -> list[OcrLine] | None:
    if cache_dir is None:
        return None
    path = _cache_file(cache_dir, digest)
    try:
        raw = json.loads(path.read_text())
        return [OcrLine(item["text"], tuple(item["bbox"]), float(item["score"])) for item in raw]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(cache_dir: Path | None, digest: str, lines: list[OcrLine]) -> None:
    if cache_dir is None:
        return
    path = _cache_file(cache_dir, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(json.dumps([asdict(line) for line in lines]))
    os.replace(temp, path)


# The detector scales an image's short side up to 736 px; a 126-px-high diagram becomes 5.8x
# larger and its single-letter labels are no longer found. Padding the short side to this
# many pixels of background first caps the upscale near 2.5x without touching larger images.
MIN_SIDE = 300


def _padded(image_path: str | Path) -> tuple[np.ndarray | str, int, int]:
    """The image to OCR, and the (x, y) offset its content got from padding."""
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if image is None:
        return str(image_path), 0, 0  # let the OCR engine report what it can
    h, w = image.shape[:2]
    if min(h, w) >= MIN_SIDE:
        return image, 0, 0
    pad_y, pad_x = max(0, MIN_SIDE - h) // 2, max(0, MIN_SIDE - w) // 2
    border = np.median(np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]), axis=0)
    padded = cv2.copyMakeBorder(
        image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=[float(v) for v in border]
    )
    return padded, pad_x, pad_y


def run_ocr(image_path: str | Path) -> list[OcrLine]:
    """OCR without any cache. Boxes are in the original image's pixels."""
    image, dx, dy = _padded(image_path)
    result = _get_engine()(image)
    if result.boxes is None or result.txts is None:
        return []
    lines = []
    for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
        xs, ys = [float(p[0]) - dx for p in box], [float(p[1]) - dy for p in box]
        text = str(text).strip()
        if text:
            lines.append(
                OcrLine(text, (min(xs), min(ys), max(xs), max(ys)), round(float(score), 4))
            )
    return lines


def ocr_lines(image_path: str | Path, cache_dir: str | Path | None = None) -> list[OcrLine]:
    """Text lines of an image, each OCRed once per process (and once per cache_dir)."""
    digest = sha256_file(image_path)
    folder = Path(cache_dir) if cache_dir else None
    with _memo_lock:
        lines = _memo.get(digest)
    if lines is not None:
        # another process (a captioner actor) may read this cache_dir, not our memo
        if folder is not None and not _cache_file(folder, digest).exists():
            _write_cache(folder, digest, lines)
        return lines
    lines = _read_cache(folder, digest)
    if lines is None:
        lines = run_ocr(image_path)
        _write_cache(folder, digest, lines)
    with _memo_lock:
        _memo[digest] = lines
    return lines


def group_lines(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Reading order: lines stacked tightly with overlapping columns form one block (a box's
    two-line label); blocks are ordered top-to-bottom in rows, then left-to-right."""
    blocks: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.bbox[1], item.bbox[0])):
        x0, y0, x1, y1 = line.bbox
        height = max(y1 - y0, 1.0)
        for block in blocks:
            last = block[-1]
            bx0, _, bx1, by1 = last.bbox
            overlap = min(x1, bx1) - max(x0, bx0)
            close = -0.5 * height <= y0 - by1 <= 0.8 * height
            similar = 0.6 <= height / max(last.bbox[3] - last.bbox[1], 1.0) <= 1.6
            if close and similar and overlap > 0.3 * min(x1 - x0, bx1 - bx0):
                block.append(line)
                break
        else:
            blocks.append([line])
    heights = sorted(max(b[0].bbox[3] - b[0].bbox[1], 1.0) for b in blocks) or [1.0]
    row = heights[len(heights) // 2]
    return sorted(blocks, key=lambda b: (round(b[0].bbox[1] / row), b[0].bbox[0]))


def _span_lines(item: FigureInput) -> list[OcrLine]:
    if item.vector is None:
        return []
    return [OcrLine(span.text, span.bbox, 1.0) for span in item.vector.spans if span.text.strip()]


_TYPE_WORDS = [
    (FigureType.sequence, r"sequence|signal(l)?ing|call flow|message flow|procedure|interaction"),
    (FigureType.flowchart, r"flow ?chart|flow|process|workflow|decision"),
    (FigureType.topology, r"topolog|network(ing)? diagram|networking|campus network"),
    (FigureType.architecture, r"architecture|structure|framework|stack"),
    (FigureType.state, r"state (machine|diagram|transition)"),
    (FigureType.packet, r"packet|header|frame format|format of|field"),
    (FigureType.chart, r"chart|graph|trend|statistics"),
    (FigureType.screenshot, r"screenshot|window|dialog|page of the console|gui"),
    (FigureType.table, r"\btable\b"),
]


def guess_type(label: str) -> FigureType:
    """A cheap keyword guess from the caption ("Figure 2-1 802.1X authentication flow")."""
    text = re.sub(r"^\s*(figure|fig\.)\s*[\w.\-]+\s*", "", label, flags=re.IGNORECASE).lower()
    for figure_type, pattern in _TYPE_WORDS:
        if re.search(pattern, text):
            return figure_type
    return FigureType.other


def _digest(context: str, limit: int = 240) -> str:
    text = " ".join(context.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + " …"


class OcrCaptioner:
    """Captioner backend "ocr": vector spans when the figure has them, OCR of the PNG otherwise."""

    name = "ocr"

    def __init__(self, cache_dir: str | Path | None = None):
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def _lines(self, item: FigureInput) -> tuple[list[OcrLine], str]:
        spans = _span_lines(item)
        if spans:
            return spans, "vector"
        if item.image_path and Path(item.image_path).is_file():
            return ocr_lines(item.image_path, self.cache_dir), "ocr"
        fallback = [
            OcrLine(t, (0, i, 0, i + 1), 1.0)
            for i, t in enumerate(item.inner_text.splitlines())
            if t.strip()
        ]
        return fallback, "inner_text"

    def describe_one(self, item: FigureInput) -> LogicalText:
        lines, source = self._lines(item)
        components = [" ".join(line.text for line in block) for block in group_lines(lines)]
        summary = ". ".join(part for part in (item.label.strip(), _digest(item.context)) if part)
        score = sum(line.score for line in lines) / len(lines) if lines else 0.0
        return LogicalText(
            figure_type=guess_type(item.label),
            summary=summary,
            components=components,
            relations=[],
            backend=self.name,
            model=OCR_MODEL if source == "ocr" else source,
            confidence=round(score, 4),
        )

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        out = []
        for item in items:
            try:
                out.append(self.describe_one(item))
            except Exception as exc:  # one unreadable figure must not sink the batch
                log.warning("ocr failed for %s: %s", item.image_path, exc)
                out.append(LogicalText(summary=item.label, backend=self.name, confidence=0.0))
        return out
