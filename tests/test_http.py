"""The HTTP API through a real uvicorn process on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ictrag.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ictrag", "serve", *args]


@pytest.fixture(scope="module")
def index(tmp_path_factory, sample_pdf) -> Path:
    path = tmp_path_factory.mktemp("http") / "idx"
    assert KnowledgeBase(path, workers=1).ingest([sample_pdf]).ok
    return path


@pytest.fixture(scope="module")
def api(index: Path):
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ICTRAG_WORKERS": "1"}
    env.pop("ICTRAG_API_TOKEN", None)
    args = ["--index", str(index), "--port", str(port), "--token", TOKEN,
            "--max-upload-mb", "1", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(_command(*args), cwd=ROOT, env=env)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "server exited"
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=20)


def test_token_is_required_except_for_health(api: httpx.Client):
    assert api.get("/healthz").json()["ok"] is True
    assert api.get("/search", params={"q": "OSPF"}).status_code == 401
    wrong = api.get("/search", params={"q": "OSPF"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert api.get("/documents").status_code == 401
    assert api.get("/search", params={"q": "OSPF"}, headers=AUTH).status_code == 200
    assert "/search" in api.get("/openapi.json").json()["paths"]


def test_search_get_and_post_and_figures(api: httpx.Client):
    got = api.get(
        "/search",
        params={"q": "campus topology access switches", "k": 3, "kind": "figure"},
        headers=AUTH,
    )  # noqa: E501
    hits = got.json()["hits"]
    assert got.status_code == 200 and hits and all(h["kind"] == "figure" for h in hits)
    figure = hits[0]["figure"]
    assert figure["label"] == "Figure 3-1 Campus network topology"
    posted = api.post(
        "/search",
        json={"q": "campus topology access switches", "k": 3, "kind": "figure"},
        headers=AUTH,
    )  # noqa: E501
    assert [h["score"] for h in posted.json()["hits"]] == [h["score"] for h in hits]

    view = api.get(f"/figures/{figure['id']}", headers=AUTH).json()
    assert view["page"] == 4 and view["type"] == "topology" and "SW-A" in view["logical_text"]
    png = api.get(figure["image_url"], headers=AUTH)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert api.get(f"/figures/{'0' * 64}", headers=AUTH).status_code == 404
    page = api.get("/documents/ict-sample-manual.pdf/pages/4", headers=AUTH).json()
    assert f"figure id {figure['id'][:16]}" in page["text"]
    bad = api.get("/search", params={"q": "x", "kind": "table"}, headers=AUTH)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/figures/..%2F..%2Fetc%2Fpasswd",
        "/figures/..%2F..%2Fetc%2Fpasswd.png",
        "/figures/%2e%2e%2f%2e%2e%2fmanifest.json",
        "/figures/not-hex-at-all.png",
        "/documents/..%2F..%2Fetc%2Fpasswd/pages/1",
        "/jobs/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_traversal_through_ids_is_refused(api: httpx.Client, url: str):
    response = api.get(url, headers=AUTH)
    assert response.status_code in (400, 404)
    assert b"root:" not in response.content and b"sha256" not in response.content


def test_upload_names_and_sizes_are_checked(api: httpx.Client, index: Path):
    files = {"files": ("../../x.pdf", b"%PDF-1.4 not really", "application/pdf")}
    response = api.post("/ingest", files=files, headers=AUTH)
    assert response.status_code == 400 and "file name" in response.json()["detail"]
    assert not (index.parent / "x.pdf").exists() and not (index / "x.pdf").exists()
    assert (
        api.post(
            "/ingest", files={"files": ("run.sh", b"echo", "text/plain")}, headers=AUTH
        ).status_code
        == 400
    )  # noqa: E501
    big = {"files": ("big.pdf", b"0" * (1024 * 1024 + 10), "application/pdf")}
    assert api.post("/ingest", files=big, headers=AUTH).status_code == 413
    assert api.post("/search", json={"q": "x" * 70_000}, headers=AUTH).status_code == 413

    def chunked():  # no Content-Length: the limit must hold while the body streams in
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n\r\n'
        for _ in range(20):
            yield b"0" * 65536
        yield b"\r\n--b--\r\n"

    streamed = api.post(
        "/ingest",
        content=chunked(),
        headers={**AUTH, "content-type": "multipart/form-data; boundary=b"},
    )  # noqa: E501
    assert streamed.status_code == 413
    assert not (index / "uploads" / "big.pdf").exists()


def test_uploaded_file_is_ingested_then_found(api: httpx.Client, index: Path):
    text = (
        "# Quokka gateway\n\nThe quokka7731 gateway forwards syslog to the AR-100 over UDP 514.\n"
    )
    response = api.post(
        "/ingest",
        files={"files": ("quokka notes.md", text.encode(), "text/markdown")},
        headers=AUTH,
    )  # noqa: E501
    assert response.status_code == 202
    job_id = response.json()["id"]
    # searches keep being answered (or told to retry) while the ingest holds the index
    with ThreadPoolExecutor(4) as pool:
        during = list(
            pool.map(
                lambda _: api.get("/search", params={"q": "OSPF area"}, headers=AUTH).status_code,
                range(8),
            )
        )  # noqa: E501
    assert set(during) <= {200, 503}
    deadline = time.monotonic() + 90
    while (job := api.get(f"/jobs/{job_id}", headers=AUTH).json())["status"] in (
        "queued",
        "running",
    ):  # noqa: E501
        assert time.monotonic() < deadline, "ingest job did not finish"
        time.sleep(0.5)
    assert job["status"] == "done", job
    assert job["report"]["totals"]["documents"] == 1
    saved = index / "uploads" / "quokka_notes.md"
    assert saved.is_file() and job["files"] == [str(saved.resolve())]
    hits = api.get("/search", params={"q": "quokka7731 syslog", "k": 3}, headers=AUTH).json()[
        "hits"
    ]  # noqa: E501
    assert hits and hits[0]["path"] == str(saved.resolve()) and "quokka7731" in hits[0]["text"]
    assert len(api.get("/documents", headers=AUTH).json()) == 2
    assert api.get(f"/jobs/{'f' * 32}", headers=AUTH).status_code == 404


def test_concurrent_searches_agree_with_serial(api: httpx.Client):
    questions = [
        "802.1X authentication flow",
        "attach request MME",
        "FW-DMZ-01",
        "OSPF hello timers",
    ]  # noqa: E501
    serial = {
        q: api.get("/search", params={"q": q}, headers=AUTH).json()["hits"] for q in questions
    }  # noqa: E501

    def ask(i: int):
        q = questions[i % len(questions)]
        return q, api.get("/search", params={"q": q}, headers=AUTH)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(ask, range(64)))
    for q, response in results:
        assert response.status_code == 200
        assert [h["score"] for h in response.json()["hits"]] == [h["score"] for h in serial[q]]


def test_non_loopback_bind_without_token_is_refused(index: Path):
    env = {k: v for k, v in os.environ.items() if k != "ICTRAG_API_TOKEN"}
    done = subprocess.run(_command("--index", str(index), "--host", "0.0.0.0", "--port", str(_free_port())),  # noqa: E501
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "token" in done.stderr
