"""HTTP /search under concurrent clients: latency percentiles, throughput and errors.

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_http.py [--index PATH] [--clients 50]
        [--seconds 30] [--max-requests 200000] [--json]

Starts `python -m ictrag serve` on a free loopback port (index: the given one, or
a temp index of docs/samples/ict-sample-manual.pdf), then runs `clients` asyncio clients,
each sending GET /search back to back until `seconds` pass or `max-requests` are sent in
all. Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "802.1X authentication flow",
    "which messages does the UE send to the MME during attach",
    "campus topology access switches SW-A SW-B",
    "FW-DMZ-01 web server address",
    "OSPF area 0 hello timers",
    "GE0/0/3 DMZ default address",
    "RADIUS Access-Accept VLAN 10",
    "S1-MME SCTP port 36412",
]
TOKEN = "bench-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _client(
    base: str,
    number: int,
    stop_at: float,
    budget: list[int],
    latencies: list[float],
    errors: dict[str, int],
) -> None:  # noqa: E501
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as client:
        i = number
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            started = time.perf_counter()
            try:
                response = await client.get("/search", params={"q": question, "k": 5})
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1  # noqa: E501
                    continue
            except httpx.HTTPError as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)


async def _load(base: str, clients: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    budget = [max_requests]
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(
        *(_client(base, n, stop_at, budget, latencies, errors) for n in range(clients))
    )  # noqa: E501
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests_ok": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "p90_ms": round(_percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }


def _build_index(folder: Path) -> Path:
    from ictrag.kb import KnowledgeBase

    path = folder / "idx"
    KnowledgeBase(path, workers=1).ingest([ROOT / "docs" / "samples" / "ict-sample-manual.pdf"])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as temp:
        index = args.index or _build_index(Path(temp))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "ictrag", "serve", "--index", str(index),
             "--port", str(port), "--token", TOKEN, "--log-level", "warning"],
            cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start")
                time.sleep(0.3)
            asyncio.run(_load(base, 4, 3.0, 1000))  # warm-up, not measured
            result = asyncio.run(_load(base, args.clients, args.seconds, args.max_requests))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>15}: {value}")


if __name__ == "__main__":
    main()
