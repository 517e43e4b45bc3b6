"""Render Mermaid source with the real `mermaid` npm package in Debian's headless Chromium.

One long-lived node process (render.mjs, packaged in training/synth/js) holds one browser
with a few pages; requests go over its stdin as JSON lines and results come back on stdout,
so a batch pays the browser launch once. It runs from renderers.renderer_dir() (a user cache
folder); install it there with `ictrag setup renderers` (scripts/install_mermaid.sh also
installs chromium and node).

    with MermaidRenderer(scale=2) as renderer:
        result = renderer.render(code, out_png=Path("a.png"), out_pdf=Path("a.pdf"))
        results = renderer.render_many([RenderJob(code, png, pdf) for ...])
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ictrag.training.synth.renderers import CHROMIUM, PACKAGES, renderer_dir, sync_files

THEMES = ("default", "neutral", "dark", "forest", "base")


class RenderError(Exception):
    """The renderer could not start or died; one line."""


@dataclass(frozen=True)
class RenderJob:
    code: str
    png: Path | None = None
    pdf: Path | None = None
    theme: str = "default"


@dataclass(frozen=True)
class RenderResult:
    ok: bool
    error: str = ""
    width: float = 0.0
    height: float = 0.0
    """Size of the SVG in CSS pixels (the PNG is this times the scale)."""


def missing_requirements(js_dir: Path | None = None, chromium: str = CHROMIUM) -> list[str]:
    """What is missing for rendering; empty when everything is installed."""
    js_dir = js_dir or renderer_dir()
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    if not Path(chromium).exists():
        missing.append(chromium)
    for package in PACKAGES:
        if not (js_dir / "node_modules" / package / "package.json").exists():
            missing.append(f"{js_dir / 'node_modules' / package}")
    return missing


def renderer_available() -> bool:
    """True when node, Chromium and the npm packages are installed (`ictrag setup renderers`)."""
    return not missing_requirements()


class MermaidRenderer:
    """A context manager around one node + Chromium process that renders many diagrams."""

    def __init__(
        self,
        *,
        scale: float = 2.0,
        pages: int = 1,
        timeout_s: float = 30.0,
        start_timeout_s: float = 60.0,
        js_dir: Path | None = None,
        chromium: str = CHROMIUM,
    ) -> None:
        self.scale = scale
        self.pages = pages
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.js_dir = js_dir or renderer_dir()
        self._own_dir = js_dir is None
        self.chromium = chromium
        self.mermaid_version = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._selector: selectors.DefaultSelector | None = None
        self._buffer = b""
        self._next_id = 0
        self._stderr = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> MermaidRenderer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self._proc is not None:
            return
        missing = missing_requirements(self.js_dir, self.chromium)
        if missing:
            raise RenderError(
                "Mermaid renderer missing "
                + ", ".join(missing)
                + ": run `ictrag setup renderers`"
            )
        if self._own_dir:
            sync_files(self.js_dir)  # the packaged render.mjs, also after a dev edit
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        command = ["node", str(self.js_dir / "render.mjs"), "--scale", str(self.scale)]
        command += ["--pages", str(self.pages), "--chromium", self.chromium]
        self._proc = subprocess.Popen(
            command,
            cwd=self.js_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
        )
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._proc.stdout, selectors.EVENT_READ)
        self._buffer = b""
        ready = self._read_line(self.start_timeout_s)
        if ready is None or not ready.get("ready"):
            detail = self._stderr_tail()
            self.close()
            raise RenderError(f"Mermaid renderer did not start: {detail or ready}")
        self.mermaid_version = str(ready.get("mermaid", ""))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # -- API -------------------------------------------------------------------------------
    def render(
        self,
        code: str,
        out_png: Path | None = None,
        out_pdf: Path | None = None,
        theme: str = "default",
    ) -> RenderResult:
        return self.render_many([RenderJob(code, out_png, out_pdf, theme)])[0]

    def render_many(self, jobs: Iterable[RenderJob]) -> list[RenderResult]:
        """Render every job; a bad diagram gives ok=False in its result, never an exception."""
        requests = []
        for job in jobs:
            if job.theme not in THEMES:
                requests.append(RenderResult(False, f"unknown theme {job.theme!r}"))
                continue
            for out in (job.png, job.pdf):
                if out is not None:
                    Path(out).parent.mkdir(parents=True, exist_ok=True)
            requests.append(
                {
                    "op": "render",
                    "code": job.code,
                    "png": str(Path(job.png).resolve()) if job.png else None,
                    "pdf": str(Path(job.pdf).resolve()) if job.pdf else None,
                    "theme": job.theme,
                }
            )
        return self._run(requests)

    def check(self, code: str) -> tuple[bool, str]:
        """Ask the real Mermaid parser whether `code` is valid: (ok, one-line reason)."""
        result = self._run([{"op": "parse", "code": code}])[0]
        return result.ok, result.error

    # -- plumbing --------------------------------------------------------------------------
    def _run(self, requests: Sequence[dict | RenderResult]) -> list[RenderResult]:
        self.start()
        results: list[RenderResult | None] = [None] * len(requests)
        by_id: dict[int, int] = {}
        for index, request in enumerate(requests):
            if isinstance(request, RenderResult):
                results[index] = request
                continue
            self._next_id += 1
            by_id[self._next_id] = index
            line = json.dumps({"id": self._next_id, **request}) + "\n"
            try:
                self._proc.stdin.write(line.encode())
                self._proc.stdin.flush()
            except OSError as error:
                self._abort(by_id, results, f"renderer died: {error}")
                return results  # type: ignore[return-value]
        # Each diagram gets timeout_s; the pages work in parallel, so this bounds the batch.
        deadline = time.monotonic() + self.timeout_s * max(1, len(by_id))
        while by_id:
            reply = self._read_line(max(0.0, deadline - time.monotonic()))
            if reply is None:
                self._abort(by_id, results, "renderer timed out or died: " + self._stderr_tail())
                break
            index = by_id.pop(reply.get("id"), None)
            if index is not None:
                results[index] = RenderResult(
                    bool(reply.get("ok")),
                    _one_line(str(reply.get("error") or "")),
                    float(reply.get("width") or 0.0),
                    float(reply.get("height") or 0.0),
                )
        return results  # type: ignore[return-value]

    def _abort(self, by_id: dict[int, int], results: list, reason: str) -> None:
        for index in by_id.values():
            results[index] = RenderResult(False, _one_line(reason))
        by_id.clear()
        self.close()  # the next call starts a fresh process

    def _read_line(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._selector is None:
                return None
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self._proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return {"id": None, "ok": False, "error": line.decode(errors="replace")}

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return _one_line(text[-400:])


def _one_line(text: str) -> str:
    return " ".join(text.split())
