"""The remote backend: any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, TGI,
llama.cpp server, Ollama, OpenAI, ...), with bounded concurrency, timeouts and retries.

An endpoint that is down or refuses the configuration raises one CaptionError for the whole
batch (the pipeline keeps the structural result); a figure the endpoint rejects alone gets an
empty, zero-confidence LogicalText.
"""

from __future__ import annotations

import base64
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ictrag.config import CaptionSettings
from ictrag.figures.base import CaptionError, FigureInput
from ictrag.figures.models.answer import parse_answer
from ictrag.figures.models.grounding import figure_text
from ictrag.figures.models.prompt import PROMPT_VERSION, build_messages
from ictrag.model import LogicalText

RETRY_STATUS = {429, 500, 502, 503, 504}
FATAL_STATUS = {401, 403, 404}
MAX_RETRY_AFTER_S = 30.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _ItemRejected(Exception):
    """The endpoint refused this one figure (e.g. 400, 413): empty result, batch goes on."""


def chat_url(base_url: str) -> str:
    """`http://h:8000`, `http://h:8000/v1` or a full `.../chat/completions` URL."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1") or "/v1/" in base:
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def image_data_url(path: str, max_pixels: int | None = None) -> str:
    """The image as a base64 PNG data URL, downscaled to `max_pixels` when larger."""
    with open(path, "rb") as handle:
        data = handle.read()
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        too_big = max_pixels is not None and image.width * image.height > max_pixels
        if too_big or not data.startswith(PNG_MAGIC):
            image = image.convert("RGB")
            if too_big:
                scale = (max_pixels / (image.width * image.height)) ** 0.5
                image = image.resize(
                    (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
                )
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            data = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _openai_messages(messages: list[dict[str, Any]], max_pixels: int) -> list[dict[str, Any]]:
    converted = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [
                {
                    "type": "image_url",
                    "image_url": {"url": image_data_url(part["image"], max_pixels)},
                }
                if part["type"] == "image"
                else part
                for part in content
            ]
        converted.append({"role": message["role"], "content": content})
    return converted


def _content(body: Any) -> str:
    """choices[0].message.content, as text (some servers return a list of parts)."""
    content = body["choices"][0]["message"].get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


class OpenAICaptioner:
    name = "openai"
    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        settings: CaptionSettings,
        *,
        max_new_tokens: int | None = None,
        retries: int = 3,
        backoff_s: float = 0.5,
    ):
        if not settings.base_url:
            raise CaptionError(
                "caption.base_url is not set: give the OpenAI-compatible endpoint URL"
            )
        if not settings.model:
            raise CaptionError("caption.model is not set: give the endpoint's model name")
        self.settings = settings
        self.model = settings.model
        self.url = chat_url(settings.base_url)
        self.max_new_tokens = max_new_tokens or settings.max_new_tokens or 1024
        self.retries = retries
        self.backoff_s = backoff_s
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        timeout = httpx.Timeout(settings.timeout_s, connect=min(10.0, settings.timeout_s))
        self._client = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        if not items:
            return []
        abort = threading.Event()

        def one(item: FigureInput) -> LogicalText:
            try:
                text = self.complete(item, abort)
            except _ItemRejected:
                return LogicalText(backend=self.name, model=self.model)
            except CaptionError:
                abort.set()  # the others stop at their next attempt
                raise
            return parse_answer(text, self.name, self.model, figure_text=figure_text(item))

        workers = max(1, min(self.settings.concurrency, len(items)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, item) for item in items]
            results: list[LogicalText] = []
            for future in futures:
                results.append(future.result())  # the first CaptionError propagates
        return results

    def complete(self, item: FigureInput, abort: threading.Event | None = None) -> str:
        """The raw answer text for one figure."""
        try:
            messages = _openai_messages(build_messages(item), self.settings.max_pixels)
        except OSError as error:
            raise _ItemRejected(str(error)) from error
        payload = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_new_tokens,
        }
        last = ""
        for attempt in range(self.retries + 1):
            if abort is not None and abort.is_set():
                raise CaptionError(f"captioning endpoint {self.url} failed: {last or 'aborted'}")
            delay = self.backoff_s * (2**attempt)
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.TransportError as error:  # refused, reset, timed out
                last = f"{type(error).__name__}: {error}".splitlines()[0]
                if isinstance(error, httpx.ConnectError) and attempt >= 1:
                    break  # nothing listening: a second refusal is enough
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return _content(response.json())
                    except (ValueError, KeyError, IndexError, TypeError) as error:
                        raise _ItemRejected(f"malformed response: {error}") from error
                last = f"HTTP {status}: {response.text[:120].strip()}".splitlines()[0]
                if status in FATAL_STATUS:
                    raise CaptionError(f"captioning endpoint {self.url} refused: {last}")
                if status not in RETRY_STATUS:
                    raise _ItemRejected(last)
                retry_after = response.headers.get("retry-after", "")
                if retry_after.replace(".", "", 1).isdigit():
                    delay = min(float(retry_after), MAX_RETRY_AFTER_S)
            if attempt < self.retries:
                time.sleep(delay)
        raise CaptionError(
            f"captioning endpoint {self.url} unavailable after {attempt + 1} tries: {last}"
        )
