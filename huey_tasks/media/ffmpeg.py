"""Running ffmpeg safely: whitelisted local inputs, bounded time, threads and priority.

Every ffmpeg command of the media pipeline goes through :func:`run_ffmpeg`, and every input
file is passed with :func:`input_args`. Together they guarantee what ARCHITECTURE.md §4
asks of each run: only the ``file`` protocol and the mov/matroska demuxers (so a playlist or
concat list disguised as a video cannot make ffmpeg read other files), MOV external data
references left off (we never pass ``-enable_drefs``; the format whitelist would not stop
that read), a wall-clock timeout that kills the whole process group, ``nice`` and a thread
bound, and the tail of stderr kept for the job record.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: Demuxers an input may be opened with, exactly as ffmpeg names them (``ffmpeg -demuxers``
#: lists ``mov,mp4,m4a,3gp,3g2,mj2`` and ``matroska,webm``). ffmpeg matches the detected
#: demuxer's name list against this list, so HLS, concat, image and raw demuxers all fail.
INPUT_FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
#: The demuxer of this library's own HLS segments, which it may read back (never an upload).
OWN_SEGMENT_FORMAT = "mpegts"
#: Protocols an input may use: local files only, never a URL.
INPUT_PROTOCOL_WHITELIST = "file"
#: How much of ffmpeg's stderr a result or an error keeps.
STDERR_TAIL_BYTES = 8192

#: Codes of :class:`MediaRejected`: the file itself is unacceptable, a retry cannot help.
REJECTION_CODES = frozenset(
    {
        "media_unsupported_container",
        "media_no_video",
        "media_dimensions_too_large",
        "media_fps_too_high",
        "media_too_long",
        "media_too_many_streams",
        "media_no_duration",
        "media_truncated",
        "media_unreadable",
    }
)
#: Codes of :class:`MediaProcessingError`: the work failed; a retry may help.
PROCESSING_CODES = frozenset({"media_timeout", "media_ffmpeg_failed", "media_input_invalid"})


class MediaError(Exception):
    """Base of the pipeline's errors: a stable ``code`` and a message a person can read."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class MediaRejected(MediaError):
    """The uploaded file is not a video we accept (see :data:`REJECTION_CODES`)."""


class MediaProcessingError(MediaError):
    """Processing failed (see :data:`PROCESSING_CODES`); ``stderr_tail`` is ffmpeg's last output."""

    def __init__(self, code: str, message: str, stderr_tail: str = "") -> None:
        super().__init__(code, message)
        self.stderr_tail = stderr_tail


@dataclass(frozen=True)
class FFmpegRun:
    """A finished, successful ffmpeg run."""

    command: tuple[str, ...]
    returncode: int
    elapsed: float
    stderr_tail: str


@functools.cache
def ffmpeg_binary() -> str:
    """The ffmpeg executable: the system one when installed, else imageio-ffmpeg's static build."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def _nice_prefix() -> tuple[str, ...]:
    # Media work must never starve the web process of CPU on a shared host.
    nice = shutil.which("nice")
    return (nice, "-n", "10") if nice else ()


def timeout_for(
    duration: float, *, factor: float = 3.0, base: float = 60.0, cap: float = 4 * 3600.0
) -> float:
    """Wall-clock budget of an ffmpeg run over ``duration`` seconds of media.

    ``base`` covers start-up and tiny clips; ``factor`` x duration is several times slower
    than a 2-core machine needs for the ladder; ``cap`` bounds a hung job even for the
    longest accepted file.
    """
    return min(cap, base + factor * max(0.0, duration))


def local_input_path(path: Path | str) -> Path:
    """Absolute path of an existing local regular file, or :class:`MediaProcessingError`.

    An absolute path always starts with ``/``, so ffmpeg can never read it as a protocol
    (``concat:``, ``subfile,`` ...) or as ``-`` (stdin).
    """
    text = os.fspath(path)
    if "://" in text or text.startswith(("-", "pipe:", "file:")):
        raise MediaProcessingError("media_input_invalid", f"Not a local file path: {text!r}.")
    resolved = Path(text).resolve()
    if not resolved.is_file():
        raise MediaProcessingError("media_input_invalid", f"No such regular file: {text!r}.")
    return resolved


def input_args(path: Path | str, *, formats: str = INPUT_FORMAT_WHITELIST) -> list[str]:
    """The ffmpeg arguments that open ``path`` safely; every input must be passed this way.

    ``formats`` stays the upload whitelist except for files this library wrote itself
    (:data:`OWN_SEGMENT_FORMAT`).
    """
    return [
        "-protocol_whitelist",
        INPUT_PROTOCOL_WHITELIST,
        "-format_whitelist",
        formats,
        "-i",
        str(local_input_path(path)),
    ]


def _bound_threads(args: Sequence[str], threads: int) -> list[str]:
    """Insert ``-threads`` before every input (decoders) and before the output (encoders).

    The library's commands have exactly one output, the last argument.
    """
    if not args or (args[-1].startswith("-") and args[-1] != "-"):
        raise ValueError("the last ffmpeg argument must be the output")
    bounded: list[str] = []
    for arg in args[:-1]:
        if arg == "-i":
            bounded += ["-threads", str(threads)]
        bounded.append(arg)
    return [*bounded, "-threads", str(threads), args[-1]]


def build_command(
    args: Sequence[str], *, threads: int, progress_fd: int, progress_period: float = 0.5
) -> list[str]:
    """The full command line of :func:`run_ffmpeg` (exposed so callers can log it)."""
    return [
        *_nice_prefix(),
        ffmpeg_binary(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-nostats",
        "-loglevel",
        "warning",
        "-progress",
        f"pipe:{progress_fd}",
        "-stats_period",
        f"{progress_period:g}",
        "-filter_threads",
        str(threads),
        "-filter_complex_threads",
        str(threads),
        *_bound_threads(args, threads),
    ]


_OUT_TIME_US = re.compile(r"^out_time_(?:us|ms)=(\d+)$")
_OUT_TIME = re.compile(r"^out_time=(\d+):(\d+):(\d+(?:\.\d+)?)$")


def parse_progress_line(line: str) -> float | None:
    """Seconds of output written, from one ``-progress`` line (``None`` if it has none)."""
    line = line.strip()
    match = _OUT_TIME_US.match(line)
    if match:
        # Both keys carry microseconds (out_time_ms is misnamed in ffmpeg).
        return int(match.group(1)) / 1_000_000
    match = _OUT_TIME.match(line)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return None


class _StderrTail:
    """Collects the last :data:`STDERR_TAIL_BYTES` of a stream on a thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        fd = stream.fileno()
        for chunk in iter(lambda: os.read(fd, 4096), b""):
            self._chunks.append(chunk)
            self._size += len(chunk)
            while self._size - len(self._chunks[0]) >= STDERR_TAIL_BYTES:
                self._size -= len(self._chunks.popleft())

    def text(self) -> str:
        self._thread.join(timeout=5)
        data = b"".join(self._chunks)[-STDERR_TAIL_BYTES:]
        return data.decode("utf-8", errors="replace")


def _read_progress(fd: int, seconds: queue.Queue[float | None]) -> None:
    with os.fdopen(fd, "rb") as stream:
        for raw in stream:
            value = parse_progress_line(raw.decode("ascii", errors="replace"))
            if value is not None:
                seconds.put(value)
    seconds.put(None)


def _pump_stdout(
    stream: IO[bytes], sink: Callable[[bytes], None], errors: list[BaseException]
) -> None:
    fd = stream.fileno()
    try:
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            sink(chunk)
    except BaseException as exc:  # re-raised by run_ffmpeg on the caller's thread
        errors.append(exc)
        for _ in iter(lambda: os.read(fd, 65536), b""):
            pass  # keep draining so ffmpeg never blocks on a full pipe


class _Progress:
    """Turns seconds of output into monotonic 0..1 fractions for the caller's callback."""

    def __init__(self, duration: float | None, callback: Callable[[float], None] | None):
        self._duration = duration if duration and duration > 0 else None
        self._callback = callback
        self.last = 0.0

    def seconds(self, value: float) -> None:
        if self._duration is not None:
            self.fraction(min(1.0, value / self._duration))

    def fraction(self, value: float) -> None:
        if self._callback is not None and self._duration is not None and value > self.last:
            self.last = value
            self._callback(value)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _failure_message(returncode: int, stderr_tail: str) -> str:
    lines = [line for line in stderr_tail.splitlines() if line.strip()]
    reason = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
    return f"ffmpeg failed ({reason}): {lines[-1].strip() if lines else 'no error output'}"


def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout: float,
    threads: int = 2,
    duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    cwd: Path | None = None,
    stdout_sink: Callable[[bytes], None] | None = None,
    progress_period: float = 0.5,
) -> FFmpegRun:
    """Run ffmpeg with ``args`` (inputs built with :func:`input_args`, the output last).

    ``on_progress`` gets increasing fractions in 0..1 (only when ``duration`` is known),
    on the calling thread so it may touch the database; it ends with 1.0 on success. An
    exception from it kills ffmpeg and propagates; ``progress_period`` is how often (s)
    ffmpeg reports. ``stdout_sink`` receives ffmpeg's
    stdout (output ``pipe:1``) on a reader thread. Raises :class:`MediaProcessingError`
    with code ``media_timeout`` after ``timeout`` seconds (the process group is killed) or
    ``media_ffmpeg_failed`` on a non-zero exit.
    """
    progress_read, progress_write = os.pipe()
    command = build_command(
        args, threads=threads, progress_fd=progress_write, progress_period=progress_period
    )
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_sink else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(progress_write,),
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills everything
        )
    except BaseException:
        os.close(progress_read)
        raise
    finally:
        os.close(progress_write)
    progress = _Progress(duration, on_progress)
    try:
        supervisor = _Supervisor(proc, progress_read, stdout_sink)
        timed_out = supervisor.wait(progress, deadline=started + timeout)
    finally:
        _kill_group(proc)
    return _outcome(proc, command, time.monotonic() - started, timed_out, supervisor, progress)


class _Supervisor:
    """The reader threads of one ffmpeg process: stderr tail, progress pipe, stdout sink."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        progress_read: int,
        stdout_sink: Callable[[bytes], None] | None,
    ) -> None:
        assert proc.stderr is not None
        self.proc = proc
        self.seconds: queue.Queue[float | None] = queue.Queue()
        threading.Thread(
            target=_read_progress, args=(progress_read, self.seconds), daemon=True
        ).start()
        self.stderr = _StderrTail(proc.stderr)
        self.sink_errors: list[BaseException] = []
        self.sink_thread: threading.Thread | None = None
        if stdout_sink is not None and proc.stdout is not None:
            self.sink_thread = threading.Thread(
                target=_pump_stdout, args=(proc.stdout, stdout_sink, self.sink_errors), daemon=True
            )
            self.sink_thread.start()

    def wait(self, progress: _Progress, deadline: float) -> bool:
        """Relay progress until ffmpeg exits; kill it at ``deadline``. True if it timed out."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                value = self.seconds.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if value is None:  # ffmpeg closed the progress pipe: it is exiting
                break
            progress.seconds(value)
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            return True
        finally:
            if self.sink_thread is not None:
                self.sink_thread.join()
        return False


def _outcome(
    proc: subprocess.Popen[bytes],
    command: list[str],
    elapsed: float,
    timed_out: bool,
    supervisor: _Supervisor,
    progress: _Progress,
) -> FFmpegRun:
    stderr_tail = supervisor.stderr.text()
    if timed_out:
        raise MediaProcessingError(
            "media_timeout",
            f"ffmpeg did not finish within {elapsed:.0f} s and was stopped.",
            stderr_tail,
        )
    if supervisor.sink_errors:
        raise supervisor.sink_errors[0]
    if proc.returncode != 0:
        raise MediaProcessingError(
            "media_ffmpeg_failed", _failure_message(proc.returncode, stderr_tail), stderr_tail
        )
    progress.fraction(1.0)
    return FFmpegRun(tuple(command), proc.returncode, elapsed, stderr_tail)
