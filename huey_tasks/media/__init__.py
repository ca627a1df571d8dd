"""The media library of the processing pipeline (ARCHITECTURE.md §4): pure functions over
local files, with no Django models and no plugin imports.

Typical use by a job, each step on a local temp copy of the upload::

    from huey_tasks.media.probe import probe  # not re-exported: it would hide the module

    caps = MediaCaps.from_settings()
    info = probe(src, caps)                       # MediaRejected -> clip "rejected"
    if info.is_fast_publishable:
        first = remux_to_hls(src, out, info)      # seconds; playable at once
    else:
        first = transcode_first_rendition(src, out, info, on_playable=mark_playable)
    ladder = encode_ladder(src, out, info, on_progress=report)
    keep = info.is_fast_publishable and segments_aligned(first, ladder[0])
    write_master_playlist([*ladder, first] if keep else ladder, out / "master.m3u8")
    make_poster(src, out / "poster.jpg", info)
    make_sprite(src, out / "sprite.jpg", out / "sprite.vtt", info)
    make_waveform(src, out / "waveform.json", info)

Failures raise :class:`MediaRejected` (the file is bad, do not retry) or
:class:`MediaProcessingError` (``media_timeout``/``media_ffmpeg_failed``, may be retried);
both carry ``code`` and a readable ``message``.
"""

from .extras import Sprite, WaveformJSON, make_poster, make_sprite, make_waveform
from .ffmpeg import (
    FFmpegRun,
    MediaError,
    MediaProcessingError,
    MediaRejected,
    ffmpeg_binary,
    input_args,
    run_ffmpeg,
    timeout_for,
)
from .hls import (
    Rendition,
    Segment,
    encode_ladder,
    ladder_rungs,
    parse_media_playlist,
    playlist_has_segments,
    remux_to_hls,
    segments_aligned,
    transcode_first_rendition,
    write_master_playlist,
)
from .probe import MediaCaps, ProbeResult, keyframes_aligned

__all__ = [
    "FFmpegRun",
    "MediaCaps",
    "MediaError",
    "MediaProcessingError",
    "MediaRejected",
    "ProbeResult",
    "Rendition",
    "Segment",
    "Sprite",
    "WaveformJSON",
    "encode_ladder",
    "ffmpeg_binary",
    "input_args",
    "keyframes_aligned",
    "ladder_rungs",
    "make_poster",
    "make_sprite",
    "make_waveform",
    "parse_media_playlist",
    "playlist_has_segments",
    "remux_to_hls",
    "run_ffmpeg",
    "segments_aligned",
    "timeout_for",
    "transcode_first_rendition",
    "write_master_playlist",
]
