"""The media library of the processing pipeline (ARCHITECTURE.md §4): pure functions over
local files, with no Django models and no plugin imports.

Typical use by a job, each step on a local temp copy of the upload::

    from huey_tasks.media.probe import probe  # not re-exported: it would hide the module

    caps = MediaCaps.from_settings()
    info = probe(src, caps)                       # MediaRejected -> clip "rejected"
    if info.is_fast_publishable:                  # seconds; plays while it grows
        first = remux_to_hls(src, out, info, on_playable=mark_playable)
    else:                                         # the lowest rung, playable after 2 segments
        first = transcode_first_rendition(src, out, info, on_playable=mark_playable)
    # The first rendition stands in for the rung of its size where segments line up, so
    # only the other heights are encoded (one decode, one process).
    ladder = encode_ladder(src, out, info, heights=(540, 720), on_progress=report)
    keep = segments_aligned(first, ladder[0])
    write_master_playlist([first, *ladder] if keep else ladder, out / "master.m3u8")
    # Extras read rungs (keyframes every 2 s), joined into one MP4, not the source.
    frames = rendition_to_mp4(out, ladder[0], out / "frames.mp4")
    make_poster(frames, out / "poster.jpg", probe(frames, caps))
    make_sprite(frames, out / "sprite.jpg", out / "sprite.vtt", probe(frames, caps))
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
    rendition_to_mp4,
    segment_at,
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
    "rendition_to_mp4",
    "run_ffmpeg",
    "segment_at",
    "segments_aligned",
    "timeout_for",
    "transcode_first_rendition",
    "write_master_playlist",
]
