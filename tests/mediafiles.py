"""Makers of small media files for tests: real videos from ffmpeg's lavfi sources, and the
malicious or broken uploads the pipeline must reject.

Videos are built with ``testsrc2`` (moving picture) and ``sine`` (a tone) using the fastest
encoder settings, so a few seconds of video take a fraction of a second to make.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from huey_tasks.media.ffmpeg import ffmpeg_binary

#: UUID of the SEI user-data message :func:`make_video` can plant in an H.264 stream.
SEI_UUID = "dc45e9bd-e6d9-48b7-962c-d820d923eeef"

_VIDEO_CODEC_ARGS: dict[str, list[str]] = {
    "libx264": ["-preset", "ultrafast"],
    "libx265": ["-preset", "ultrafast", "-x265-params", "log-level=error"],
    "libvpx-vp9": ["-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1"],
}
_CONTAINER_FORMATS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
    ".m4a": "ipod",
    ".ts": "mpegts",
}


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly (test setup only: no whitelist, as a trusted tool)."""
    subprocess.run(
        [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


@dataclass(frozen=True)
class _Encoding:
    vcodec: str
    acodec: str | None
    keyint: int | None
    pix_fmt: str
    sei_text: str | None
    faststart: bool
    video_args: Sequence[str]


def make_video(
    path: Path,
    *,
    duration: float = 3.0,
    width: int = 320,
    height: int = 240,
    fps: float = 30,
    vcodec: str = "libx264",
    acodec: str | None = "aac",
    rotate: int | None = None,
    keyint: int | None = None,
    pix_fmt: str = "yuv420p",
    sei_text: str | None = None,
    faststart: bool = False,
    video_args: Sequence[str] = (),
) -> Path:
    """Write a ``duration`` s test video; the container follows the extension.

    ``rotate`` is the clockwise rotation a player must apply, as the ``rotate`` tag phones
    write: the frames are stored unrotated and the display matrix says to turn them.
    ``keyint`` fixes the GOP length in frames (no scene-cut keyframes). ``sei_text`` plants
    a marker string in an H.264 SEI message, which survives ``-c copy``. ``video_args``
    come after the defaults and override them (e.g. ``("-preset", "veryfast")`` for
    B-frames). Odd sizes need an encoder that allows them with 4:2:0 (``libvpx-vp9``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = _Encoding(vcodec, acodec, keyint, pix_fmt, sei_text, faststart, video_args)
    target = path.with_name(f".unrotated-{path.name}") if rotate else path
    ffmpeg(*_source_args(duration, width, height, fps, acodec), *_encode_args(encoding, target))
    if rotate:
        # The display matrix option counts counter-clockwise; the rotate tag clockwise.
        rotation = ["-display_rotation", str(-rotate), "-i", str(target), "-c", "copy"]
        ffmpeg(*rotation, *_format_args(path), str(path))
        target.unlink()
    return path


def _source_args(
    duration: float, width: int, height: int, fps: float, acodec: str | None
) -> list[str]:
    # testsrc2 rounds its size down to even numbers; a scale filter gives odd sizes.
    video = f"testsrc2=size={width + width % 2}x{height + height % 2}:rate={fps}"
    args = ["-f", "lavfi", "-i", f"{video}:duration={duration},scale={width}:{height},setsar=1"]
    if acodec:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}"]
    return args


def _encode_args(encoding: _Encoding, path: Path) -> list[str]:
    args = ["-map", "0:v", "-c:v", encoding.vcodec, *_VIDEO_CODEC_ARGS.get(encoding.vcodec, [])]
    args += ["-pix_fmt", encoding.pix_fmt, *encoding.video_args]
    if encoding.keyint:
        keyint = str(encoding.keyint)
        args += ["-g", keyint, "-keyint_min", keyint, "-sc_threshold", "0"]
    if encoding.vcodec == "libx265":
        args += ["-tag:v", "hvc1"]
    if encoding.sei_text:
        args += ["-bsf:v", f"h264_metadata=sei_user_data={SEI_UUID}+{encoding.sei_text}"]
    args += ["-map", "1:a", "-c:a", encoding.acodec] if encoding.acodec else ["-an"]
    if encoding.faststart:
        args += ["-movflags", "+faststart"]
    return [*args, *_format_args(path), str(path)]


def _format_args(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    return ["-f", _CONTAINER_FORMATS[suffix]] if suffix in _CONTAINER_FORMATS else []


def make_audio_only(path: Path, *, duration: float = 2.0) -> Path:
    """An AAC-in-MP4 (.m4a) file: a valid container without any video stream."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={duration}",
        "-c:a",
        "aac",
        *_format_args(path),
        str(path),
    )
    return path


def make_disguised_hls(path: Path, target_file: Path | str) -> Path:
    """An HLS playlist (saved under any name, e.g. ``.mp4``) whose one segment is
    ``target_file``: opened naively, ffmpeg would read that file into its output."""
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:10.0,\n{target_file}\n#EXT-X-ENDLIST\n"
    )
    return path


def make_disguised_concat(path: Path, target_file: Path | str) -> Path:
    """An ffconcat script naming ``target_file``; the concat demuxer would read it."""
    path.write_text(f"ffconcat version 1.0\nfile '{target_file}'\n")
    return path


def make_png(path: Path) -> Path:
    """A real 64x48 PNG image."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        str(path),
    )
    return path


def make_jpeg(path: Path) -> Path:
    """A real 64x48 JPEG image."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "mjpeg",
        str(path),
    )
    return path


def make_gif(path: Path) -> Path:
    """A real animated GIF."""
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=1", "-f", "gif", str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text("<!DOCTYPE html>\n<html><body><video src='x.mp4'></video></body></html>\n")
    return path


def make_svg(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        'height="10"><rect width="10" height="10"/></svg>\n'
    )
    return path


def make_text(path: Path) -> Path:
    path.write_text("These are my practice notes, not a video.\n" * 20)
    return path


def make_random_bytes(path: Path, size: int = 65536, seed: int = 1234) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def make_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def make_truncated(src: Path, path: Path, fraction: float = 0.6) -> Path:
    """The first ``fraction`` of ``src``, as an interrupted upload leaves it."""
    data = src.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def tree_contains(root: Path, marker: bytes) -> list[Path]:
    """Files under ``root`` (recursively) whose bytes contain ``marker``."""
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            candidate = Path(dirpath) / name
            if marker in candidate.read_bytes():
                found.append(candidate)
    return found
