"""One writer per index: an OS file lock on `<index>/.lock`, held for a whole ingest or
remove. A second writer waits up to `ingest_lock_timeout_s`, then fails with one line that
names the holder. The kernel drops the lock when its holder dies, so a killed run never
leaves the index locked."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"
POLL_S = 0.1


class IndexBusy(RuntimeError):
    """Another process is writing to this index."""


def _holder(handle) -> str:
    handle.seek(0)
    pid = handle.read().strip()
    return f"pid {pid}" if pid else "another process"


@contextmanager
def index_lock(index_dir: Path, timeout_s: float) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    with open(path, "a+") as handle:
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"index {index_dir} is busy: {_holder(handle)} is writing to it "
                        f"(waited {timeout_s:g} s, see ingest_lock_timeout_s)"
                    ) from None
                time.sleep(POLL_S)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
