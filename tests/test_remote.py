from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from ictrag.config import CaptionSettings
from ictrag.figures.base import Captioner, CaptionError, FigureInput
from ictrag.figures.models.remote import OpenAICaptioner, chat_url
from ictrag.model import FigureType

SERVER = Path(__file__).with_name("chat_server.py")
ANSWER = """TYPE: topology
SUMMARY: Router R1 uplinks switch SW1 to the WAN.
COMPONENTS:
- R1
- SW1
RELATIONS:
- SW1 -> R1 : uplink
MERMAID:
```mermaid
flowchart LR
    SW1 -->|uplink| R1
```"""


class ChatServer:
    def __init__(self, tmp: Path, statuses: str = ""):
        self.log = tmp / "requests.jsonl"
        answer = tmp / "answer.txt"
        answer.write_text(ANSWER)
        command = [sys.executable, str(SERVER), "--log", str(self.log), "--answer", str(answer)]
        self.process = subprocess.Popen(
            [*command, "--statuses", statuses], stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{line.split()[1]}/v1"

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator:
    servers: list[ChatServer] = []

    def start(statuses: str = "") -> ChatServer:
        folder = tmp_path / f"server{len(servers)}"
        folder.mkdir()
        servers.append(ChatServer(folder, statuses))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def figure(tmp_path: Path) -> FigureInput:
    path = tmp_path / "fig.png"
    Image.new("RGB", (60, 40), "white").save(path)
    return FigureInput(
        image_path=str(path), label="Figure 1 R1 and SW1", inner_text="R1 SW1 uplink WAN"
    )


def settings(url: str, **extra) -> CaptionSettings:
    return CaptionSettings(backend="openai", base_url=url, model="qwen2.5-vl-test", **extra)


def test_request_carries_image_and_model_and_answer_is_parsed(server_factory, figure, monkeypatch):
    monkeypatch.setenv("TEST_CAPTION_KEY", "sk-test")
    server = server_factory()
    captioner = OpenAICaptioner(settings(server.url, api_key_env="TEST_CAPTION_KEY"))
    assert isinstance(captioner, Captioner) and captioner.name == "openai"
    [logical] = captioner.describe([figure])
    [request] = server.requests()
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "qwen2.5-vl-test"
    user = body["messages"][1]["content"]
    url = next(part["image_url"]["url"] for part in user if part["type"] == "image_url")
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and png == Path(figure.image_path).read_bytes()
    assert figure.label in next(part["text"] for part in user if part["type"] == "text")
    assert logical.backend == "openai" and logical.model == "qwen2.5-vl-test"
    assert logical.figure_type == FigureType.topology
    assert logical.components == ["R1", "SW1"]
    assert logical.relations[0].label == "uplink"
    assert logical.mermaid and logical.ungrounded == []


def test_concurrent_batch_keeps_order(server_factory, tmp_path):
    server = server_factory()
    items = []
    for i in range(5):
        path = tmp_path / f"f{i}.png"
        Image.new("RGB", (30 + i, 30), "white").save(path)
        items.append(FigureInput(image_path=str(path), label=f"Figure {i}"))
    results = OpenAICaptioner(settings(server.url, concurrency=3)).describe(items)
    assert len(results) == 5 and all(r.figure_type == FigureType.topology for r in results)
    labels = sorted(
        r["body"]["messages"][1]["content"][1]["text"].split("Figure label: ")[1][:8]
        for r in server.requests()
    )
    assert labels == [f"Figure {i}" for i in range(5)]


def test_server_error_is_retried(server_factory, figure):
    server = server_factory("500,503")
    [logical] = OpenAICaptioner(settings(server.url), backoff_s=0.01).describe([figure])
    assert len(server.requests()) == 3
    assert logical.figure_type == FigureType.topology


def test_bad_request_gives_empty_result_for_that_figure(server_factory, figure):
    server = server_factory("400")
    results = OpenAICaptioner(settings(server.url, concurrency=1)).describe([figure, figure])
    assert results[0].confidence == 0 and results[0].summary == ""
    assert results[1].figure_type == FigureType.topology


def test_persistent_errors_raise_one_caption_error(server_factory, figure):
    server = server_factory("500,500,500")
    captioner = OpenAICaptioner(settings(server.url), retries=2, backoff_s=0.01)
    with pytest.raises(CaptionError, match="unavailable after 3 tries: HTTP 500"):
        captioner.describe([figure])


def test_closed_port_raises_caption_error_quickly(figure):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends
    captioner = OpenAICaptioner(settings(f"http://127.0.0.1:{port}", concurrency=4))
    start = time.monotonic()
    with pytest.raises(CaptionError) as caught:
        captioner.describe([figure] * 4)
    assert time.monotonic() - start < 3  # default backoff: one retry for a refused connection
    message = str(caught.value)
    assert "\n" not in message and f"127.0.0.1:{port}" in message and "ConnectError" in message


def test_missing_configuration_is_a_caption_error():
    with pytest.raises(CaptionError, match="base_url"):
        OpenAICaptioner(CaptionSettings(backend="openai", model="m"))
    with pytest.raises(CaptionError, match="model"):
        OpenAICaptioner(CaptionSettings(backend="openai", base_url="http://x"))


def test_chat_url_accepts_common_base_urls():
    assert chat_url("http://h:8000") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_url("https://h/api/v1/chat/completions") == "https://h/api/v1/chat/completions"
