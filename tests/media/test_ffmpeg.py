"""run_ffmpeg and input_args: whitelists, timeouts, progress, threads, errors."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from huey_tasks.media.ffmpeg import (
    INPUT_FORMAT_WHITELIST,
    STDERR_TAIL_BYTES,
    MediaError,
    MediaProcessingError,
    MediaRejected,
    _StderrTail,
    build_command,
    ffmpeg_binary,
    input_args,
    parse_progress_line,
    run_ffmpeg,
    timeout_for,
)


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def test_ffmpeg_binary_runs() -> None:
    result = subprocess.run([ffmpeg_binary(), "-version"], capture_output=True, check=True)
    assert result.stdout.startswith(b"ffmpeg version")


def test_whitelisted_demuxers_exist_in_this_build() -> None:
    # ffmpeg matches whole demuxer names; a misspelt entry would silently allow nothing.
    listing = subprocess.run(
        [ffmpeg_binary(), "-hide_banner", "-demuxers"], capture_output=True, check=True, text=True
    ).stdout
    names = {line.split()[1] for line in listing.splitlines() if line.startswith(" D")}
    assert {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"} <= names
    allowed = set(INPUT_FORMAT_WHITELIST.split(","))
    assert allowed == {"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm"}


def test_input_args_whitelist_a_local_file(tmp_path: Path) -> None:
    source = tmp_path / "take.mp4"
    source.write_bytes(b"data")
    args = input_args(source)
    assert args == [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        INPUT_FORMAT_WHITELIST,
        "-i",
        str(source.resolve()),
    ]
    assert "-enable_drefs" not in args


@pytest.mark.parametrize(
    "bad", ["http://example.com/a.mp4", "file:///etc/passwd", "pipe:0", "-", "s3://b/k"]
)
def test_input_args_refuse_urls(bad: str) -> None:
    with pytest.raises(MediaProcessingError) as caught:
        input_args(bad)
    assert caught.value.code == "media_input_invalid"


def test_input_args_refuse_missing_files_and_directories(tmp_path: Path) -> None:
    for bad in (tmp_path / "missing.mp4", tmp_path):
        with pytest.raises(MediaProcessingError, match="No such regular file"):
            input_args(bad)


def test_input_args_make_protocol_lookalike_names_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file literally named "concat:x.mp4" must be read as that file, not the protocol.
    (tmp_path / "concat:x.mp4").write_bytes(b"data")
    monkeypatch.chdir(tmp_path)
    assert input_args("concat:x.mp4")[-1] == f"{tmp_path.resolve()}/concat:x.mp4"


def test_timeout_for_scales_with_duration_and_is_capped() -> None:
    assert timeout_for(0) == 60
    assert timeout_for(10) == 90
    assert timeout_for(600) > timeout_for(60)
    assert timeout_for(10**6) == 4 * 3600


def test_build_command_bounds_threads_and_priority() -> None:
    command = build_command(["-i", "/in.mp4", "-c", "copy", "/out.ts"], threads=3, progress_fd=7)
    if Path("/usr/bin/nice").exists() or Path("/bin/nice").exists():
        assert command[1:3] == ["-n", "10"]
    text = " ".join(command)
    assert "-nostdin -y" in text
    assert "-progress pipe:7" in text
    assert "-threads 3 -i /in.mp4" in text
    assert text.endswith("-threads 3 /out.ts")
    assert "-filter_complex_threads 3" in text


def test_build_command_needs_an_output_last() -> None:
    with pytest.raises(ValueError, match="output"):
        build_command(["-i", "/in.mp4", "-y"], threads=2, progress_fd=5)


def test_timeout_kills_the_process_group() -> None:
    marker = f"timeout-{uuid.uuid4().hex}"
    args = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-metadata", f"comment={marker}"]
    started = time.monotonic()
    with pytest.raises(MediaProcessingError) as caught:
        run_ffmpeg([*args, "-f", "null", "-"], timeout=1.0)
    assert caught.value.code == "media_timeout"
    assert "did not finish within" in caught.value.message
    assert time.monotonic() - started < 5
    assert processes_with(marker) == []


def test_failure_keeps_the_stderr_tail() -> None:
    with pytest.raises(MediaProcessingError) as caught:
        run_ffmpeg(["-f", "lavfi", "-i", "no_such_source_xyz", "-f", "null", "-"], timeout=30)
    error = caught.value
    assert error.code == "media_ffmpeg_failed"
    assert error.message.startswith("ffmpeg failed (exit status")
    assert "no_such_source_xyz" in error.stderr_tail


def test_stderr_tail_is_bounded() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as reader:
        tail = _StderrTail(reader)
        with os.fdopen(write_fd, "wb") as writer:
            writer.write(b"x" * 50_000 + b"\nlast line\n")
        text = tail.text()
    assert len(text) == STDERR_TAIL_BYTES
    assert text.endswith("last line\n")


def test_progress_fractions_increase_to_one() -> None:
    fractions: list[float] = []
    # -re paces the source in real time, so ffmpeg reports progress a few times.
    args = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=1.6"]
    run_ffmpeg([*args, "-f", "null", "-"], timeout=30, duration=1.6, on_progress=fractions.append)
    assert len(fractions) >= 3
    assert fractions == sorted(set(fractions))
    assert all(0 < value <= 1 for value in fractions)
    assert fractions[-1] == 1.0


def test_progress_needs_a_duration() -> None:
    fractions: list[float] = []
    args = ["-f", "lavfi", "-i", "testsrc2=size=64x48:duration=0.2", "-f", "null", "-"]
    run = run_ffmpeg(args, timeout=30, on_progress=fractions.append)
    assert fractions == []
    assert run.returncode == 0
    assert run.command[-1] == "-"


def test_progress_callback_error_stops_ffmpeg() -> None:
    marker = f"callback-{uuid.uuid4().hex}"
    args = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-metadata", f"comment={marker}"]

    def cancel(fraction: float) -> None:
        raise RuntimeError("job cancelled")

    with pytest.raises(RuntimeError, match="job cancelled"):
        run_ffmpeg([*args, "-f", "null", "-"], timeout=60, duration=100, on_progress=cancel)
    assert processes_with(marker) == []


def test_stdout_sink_receives_piped_output() -> None:
    received = bytearray()
    args = ["-f", "lavfi", "-i", "sine=duration=1:sample_rate=8000", "-ac", "1"]
    run_ffmpeg([*args, "-f", "s16le", "pipe:1"], timeout=30, stdout_sink=received.extend)
    assert len(received) == 16000


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("out_time_us=1500000", 1.5),
        ("out_time_ms=2000000", 2.0),
        ("out_time=00:01:02.500000", 62.5),
        ("out_time_us=N/A", None),
        ("progress=continue", None),
    ],
)
def test_parse_progress_line(line: str, seconds: float | None) -> None:
    assert parse_progress_line(line + "\n") == seconds


def test_errors_carry_code_and_message() -> None:
    rejected = MediaRejected("media_no_video", "The file has no video stream.")
    failed = MediaProcessingError("media_timeout", "Too slow.", "tail")
    assert isinstance(rejected, MediaError)
    assert (rejected.code, rejected.message) == ("media_no_video", "The file has no video stream.")
    assert str(rejected) == "media_no_video: The file has no video stream."
    assert failed.stderr_tail == "tail"
