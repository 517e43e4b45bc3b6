"""Files only LibreOffice reads converted by LibreOffice run headless, with a time limit: a
hung converter is killed with its whole process group and the file fails with one line.
Drawings (Visio .vsdx/.vsd, EMF/WMF pictures, .odg) become PDF for the vector reader;
documents and decks in other formats (.doc, .odt, .ppt, .odp) become DOCX or PPTX for the
OOXML reader.

Each process keeps one LibreOffice for its conversions (the listener, started on first use
with its own user profile). Every conversion is an ordinary `soffice --convert-to` call on
that profile, which LibreOffice hands to the running instance and answers when the file is
written: 0.1 s of start-up instead of 1.5-2.5 s. The listener holds one empty document
open, because LibreOffice quits when a handed-over conversion leaves it with none.

- A conversion past its time limit kills the call and the listener (the listener is what
  hangs); the next conversion starts a fresh one, so one bad object costs one file.
- A listener that does not come up in time is given up for this process, and each call
  then starts LibreOffice on its own, as without a listener.
- The listener dies with the process: at exit, in a multiprocessing worker's exit, and,
  when the process is killed, through a shell that waits on a pipe only this process holds
  open and kills its process group when the pipe closes. A forked child starts its own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from multiprocessing import util
from pathlib import Path

from ictrag.load.errors import LoadError

INSTALL_HINT = "apt install libreoffice-draw-nogui"
INSTALL_HINTS = {
    "docx": "apt install libreoffice-writer-nogui",
    "pptx": "apt install libreoffice-impress-nogui",
}
START_LIMIT_S = 60.0
"""The longest a listener may take to come up (a first start builds its profile: ~1.5 s)."""
IDLE_S = 600.0
"""A listener unused this long is stopped (a server process that ingests once an hour does
not keep LibreOffice's memory)."""
PIPE_FOLDERS = (Path("/tmp"), Path("/var/tmp"))
"""Where LibreOffice's runtime (osl) makes its named pipes, whatever TMPDIR says."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(path: Path, out_dir: Path, timeout_s: float) -> Path:
    """`path` as a PDF in `out_dir`; LoadError (one line) when it cannot be had."""
    result = to_pdfs([path], out_dir, timeout_s)[path]
    if isinstance(result, str):
        raise LoadError(result)
    return result


def to_pdfs(paths: list[Path], out_dir: Path, timeout_s: float) -> dict[Path, Path | str]:
    """Each path's PDF in `out_dir`, or the one-line reason it has none. Each file has
    `timeout_s`; one that runs over fails, and the files after it still convert."""
    return convert(paths, out_dir, timeout_s, "pdf")


def convert(
    paths: list[Path], out_dir: Path, timeout_s: float, target: str
) -> dict[Path, Path | str]:
    """`to_pdfs` for any format LibreOffice writes ("docx", "pptx", ...)."""
    executable = soffice()
    if executable is None:
        missing = f"LibreOffice is not installed ({INSTALL_HINTS.get(target, INSTALL_HINT)})"
        return {path: missing for path in paths}
    with _STATE.lock:
        return {path: _convert_one(executable, path, out_dir, timeout_s, target) for path in paths}


def listener_pid() -> int | None:
    """The process id of this process's running listener, if one runs (for tests and
    diagnostics)."""
    listener = _STATE.listener
    return listener.process.pid if listener is not None and listener.alive() else None


def _convert_one(executable: str, path: Path, out_dir: Path, timeout_s: float, target: str):
    listener = _STATE.running(executable, timeout_s)
    command = [
        executable, *_flags(_STATE.profile()), "--convert-to", target, "--outdir", str(out_dir),
        str(path),
    ]  # fmt: skip
    if listener is not None:
        listener.drain()
    finished, output = _run(command, timeout_s)
    if listener is not None:
        output += listener.drain()
        if not finished:
            _STATE.stop()
    out = out_dir / f"{path.stem}.{target}"
    if out.is_file() and out.stat().st_size > 0:
        return out
    if not finished:
        return f"LibreOffice took longer than {timeout_s:g} s to convert it; stopped"
    reason = next((text for text in reversed(output) if text), "no file written")[:200]
    return f"LibreOffice cannot convert it: {reason}"


def _flags(profile: Path) -> list[str]:
    return [
        f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
        "--nolockcheck",
    ]  # fmt: skip


def _run(command: list[str], timeout_s: float) -> tuple[bool, list[str]]:
    """Run `command` in its own process group: whether it finished within `timeout_s`
    (else the group is killed), and its output lines."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    lines: queue.Queue[bytes | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            _kill_group(process)
            return False, output
        if line is None:
            break
        output.append(line.decode("utf-8", "replace").strip())
    process.wait()
    return True, output


class _Listener:
    """One running LibreOffice on `profile`, behind a watchdog shell (see the module doc)."""

    def __init__(self, executable: str, profile: Path):
        self.name = f"ictrag-{os.getpid()}-{time.monotonic_ns()}"
        keep = profile / "keep-open.txt"
        keep.write_text("")
        office = [
            executable, *_flags(profile), f"--accept=pipe,name={self.name};urp;", str(keep),
        ]  # fmt: skip
        # The shell runs LibreOffice in the background and blocks reading its stdin, which
        # only this process writes to: when this process ends, however it ends, the read
        # returns and the shell kills its group (itself and LibreOffice).
        script = '"$@" </dev/null & read -r _; kill -9 -$$'  # dash's kill takes no --
        self.process = subprocess.Popen(
            ["sh", "-c", script, "sh", *office],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=_pump, args=(self.process.stdout, self.lines), daemon=True).start()

    def wait_ready(self, limit_s: float) -> bool:
        """True once LibreOffice listens on its pipe (it then takes conversions), False if
        it has not within `limit_s` or has died."""
        pipes = [folder / f"OSL_PIPE_{os.getuid()}_{self.name}" for folder in PIPE_FOLDERS]
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if any(pipe.exists() for pipe in pipes):
                return True
            if not self.alive():
                return False
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        return self.process.poll() is None

    def drain(self) -> list[str]:
        """The lines LibreOffice printed since the last drain."""
        output = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return output
            if line is None:
                return output
            output.append(line.decode("utf-8", "replace").strip())

    def stop(self) -> None:
        _kill_group(self.process)
        if self.process.stdin is not None:
            self.process.stdin.close()


class _State:
    """This process's profile and listener. Conversions hold `lock`: LibreOffice converts
    one file at a time anyway, and a kill after a timeout must not hit another's file."""

    def __init__(self):
        self.lock = threading.RLock()
        self.forget()
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        # a forked child must not share its parent's profile (its lock) or listener
        self.listener: _Listener | None = None
        self.failed_start = False
        self.idle_timer: threading.Timer | None = None
        self.exit_hooked = False
        self._profile: Path | None = None

    def profile(self) -> Path:
        if self._profile is None:
            self._profile = Path(tempfile.mkdtemp(prefix="ictrag-lo-"))
            util.Finalize(self, shutil.rmtree, args=(self._profile,), kwargs={"ignore_errors": True}, exitpriority=1)  # fmt: skip
            atexit.register(shutil.rmtree, self._profile, ignore_errors=True)
        return self._profile

    def running(self, executable: str, timeout_s: float) -> _Listener | None:
        """The listener, started if need be; None when it cannot be had here."""
        if self.idle_timer is not None:
            self.idle_timer.cancel()
        if self.listener is not None and not self.listener.alive():
            self.stop()
        if self.listener is None and not self.failed_start:
            listener = _Listener(executable, self.profile())
            if listener.wait_ready(min(timeout_s, START_LIMIT_S)):
                self.listener = listener
                self.stop_at_exit()
            else:
                listener.stop()
                self.failed_start = True  # each call now starts LibreOffice on its own
        if self.listener is not None:
            self.idle_timer = threading.Timer(IDLE_S, self.stop_if_idle)
            self.idle_timer.daemon = True
            self.idle_timer.start()
        return self.listener

    def stop_at_exit(self) -> None:
        # a multiprocessing worker does not run atexit: its finalizers are what it runs
        if not self.exit_hooked:
            util.Finalize(self, self.stop, exitpriority=10)
            atexit.register(self.stop)
            self.exit_hooked = True

    def stop_if_idle(self) -> None:
        if self.lock.acquire(blocking=False):
            try:
                self.stop()
            finally:
                self.lock.release()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _pump(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)
    lines.put(None)


_STATE = _State()
