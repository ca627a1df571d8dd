"""HLS outputs: remux, first rendition (EVENT), ladder, master playlist, alignment."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from huey_tasks.media.hls import (
    Rendition,
    Segment,
    encode_ladder,
    find_sps,
    ladder_rungs,
    measure_bandwidth,
    parse_media_playlist,
    playlist_has_segments,
    remux_to_hls,
    rendition_to_mp4,
    rung_size,
    segment_at,
    segments_aligned,
    transcode_first_rendition,
    write_master_playlist,
)
from huey_tasks.media.probe import ProbeResult
from tests import mediafiles
from tests.media.conftest import FakeProbe

ProbeOf = Callable[[Path], ProbeResult]


def open_segment(path: Path) -> Any:
    return av.open(str(path), format="mpegts")


def first_frame(rendition: Rendition, out_dir: Path) -> Any:
    segment = out_dir / rendition.name / rendition.segments[0].uri
    with open_segment(segment) as container:
        return next(container.decode(video=0))


def assert_plays(rendition: Rendition, out_dir: Path, audio: bool) -> None:
    """Every segment demuxes as MPEG-TS with H.264 (and AAC) at the announced size."""
    for segment in rendition.segments:
        assert re.fullmatch(r"seg_\d{5}\.ts", segment.uri)
        with open_segment(out_dir / rendition.name / segment.uri) as container:
            video = container.streams.video[0]
            assert video.codec_context.name == "h264"
            assert (video.codec_context.width, video.codec_context.height) == (
                rendition.width,
                rendition.height,
            )
            assert bool(container.streams.audio) is audio


def test_remux_to_hls_writes_a_vod_playlist(
    gop2_mp4: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    info = probe_of(gop2_mp4)
    fractions: list[float] = []
    rendition = remux_to_hls(gop2_mp4, tmp_path, info, on_progress=fractions.append)
    text = (tmp_path / "source" / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert rendition.playlist == "source/index.m3u8"
    assert rendition.duration == pytest.approx(info.duration, abs=0.1)
    assert [s.duration for s in rendition.segments] == pytest.approx([2.0, 2.0], abs=0.05)
    assert (rendition.width, rendition.height, rendition.frame_rate) == (320, 240, 30.0)
    # ultrafast x264 is Constrained Baseline (42 C0) level 1.3 (0d) for 320x240.
    assert rendition.codecs == "avc1.42c00d,mp4a.40.2"
    assert rendition.bandwidth >= rendition.average_bandwidth > 100_000
    assert fractions[-1] == 1.0
    assert_plays(rendition, tmp_path, audio=True)


def test_remux_refuses_sources_it_cannot_copy(
    vp9_odd: Path, portrait: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    for source in (vp9_odd, portrait):
        with pytest.raises(ValueError, match=r"upright H\.264"):
            remux_to_hls(source, tmp_path, probe_of(source))


def test_transcode_first_rendition_is_an_event_playlist(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(
        tmp_path / "take.webm",
        width=640,
        height=360,
        duration=4,
        vcodec="libvpx-vp9",
        acodec="libopus",
    )
    playable: list[bool] = []
    fractions: list[float] = []
    out = tmp_path / "hls"
    rendition = transcode_first_rendition(
        source,
        out,
        probe_of(source),
        on_playable=lambda: playable.append(playlist_has_segments(out / "first" / "index.m3u8")),
        on_progress=fractions.append,
    )
    text = (out / "first" / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert "#EXT-X-ENDLIST" in text
    assert playable == [True]
    assert fractions[-1] == 1.0
    assert (rendition.width, rendition.height) == (640, 360)
    assert rendition.codecs.startswith("avc1.64")
    assert rendition.codecs.endswith(",mp4a.40.2")
    assert [s.duration for s in rendition.segments] == pytest.approx([2.0, 2.0], abs=0.05)
    assert_plays(rendition, out, audio=True)


def test_first_rendition_keeps_a_small_source_size(
    gop2_mp4: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    rendition = transcode_first_rendition(gop2_mp4, tmp_path, probe_of(gop2_mp4), height=360)
    assert (rendition.width, rendition.height) == (320, 240)


def test_ladder_never_goes_above_the_source(
    src_360: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    renditions = encode_ladder(src_360, tmp_path, probe_of(src_360))
    assert [(r.name, r.width, r.height) for r in renditions] == [("360p", 640, 360)]
    assert_plays(renditions[0], tmp_path, audio=True)


def test_ladder_720p_has_three_aligned_rungs_and_a_correct_master(
    src_720: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    info = probe_of(src_720)
    fractions: list[float] = []
    renditions = encode_ladder(src_720, tmp_path, info, on_progress=fractions.append)
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("360p", 640, 360),
        ("540p", 960, 540),
        ("720p", 1280, 720),
    ]
    assert fractions[-1] == 1.0
    for rendition in renditions:
        assert [s.duration for s in rendition.segments] == pytest.approx([2.0, 2.0], abs=0.05)
        assert segments_aligned(rendition, renditions[0])
        assert rendition.codecs.startswith("avc1.64")  # High profile
        assert rendition.bandwidth >= rendition.average_bandwidth > 0
        assert first_frame(rendition, tmp_path).key_frame
        assert_plays(rendition, tmp_path, audio=True)
    assert [r.bandwidth for r in renditions] == sorted(r.bandwidth for r in renditions)
    # The source's 2 s GOPs line up with the ladder: the remux may stay as a rung.
    source = remux_to_hls(src_720, tmp_path, info)
    assert segments_aligned(source, renditions[-1])
    master = write_master_playlist([source, *renditions], tmp_path / "master.m3u8").read_text()
    assert_master(master, [*renditions, source])


def assert_master(text: str, renditions: list[Rendition]) -> None:
    lines = text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    ordered = sorted(renditions, key=lambda r: r.bandwidth)
    for index, rendition in enumerate(ordered):
        info, uri = lines[3 + 2 * index], lines[4 + 2 * index]
        assert info == (
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f'CODECS="{rendition.codecs}",FRAME-RATE=30.000'
        )
        assert uri == rendition.playlist
        assert re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', info)


def test_misaligned_source_keyframes_are_detected(
    tmp_path: Path, src_720: Path, probe_of: ProbeOf
) -> None:
    source = mediafiles.make_video(tmp_path / "gop45.mp4", duration=4, keyint=45)
    info = probe_of(source)
    assert not info.keyframe_interval_ok
    remuxed = remux_to_hls(source, tmp_path / "a", info)
    laddered = encode_ladder(source, tmp_path / "b", info)
    assert not segments_aligned(remuxed, laddered[0])


def test_portrait_take_gives_an_upright_portrait_ladder(
    portrait: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    renditions = encode_ladder(portrait, tmp_path, probe_of(portrait))
    assert [(r.width, r.height) for r in renditions] == [(360, 640)]
    frame = first_frame(renditions[0], tmp_path)
    assert (frame.width, frame.height) == (360, 640)
    # Rotated once, by ffmpeg: no display matrix left for a player to apply again.
    assert frame.rotation == 0
    assert not any(d.type.name == "DISPLAYMATRIX" for d in frame.side_data)


def test_odd_sized_vp9_without_audio(vp9_odd: Path, tmp_path: Path, probe_of: ProbeOf) -> None:
    renditions = encode_ladder(vp9_odd, tmp_path, probe_of(vp9_odd))
    assert [(r.width, r.height) for r in renditions] == [(640, 358)]
    assert renditions[0].codecs.startswith("avc1.")
    assert "mp4a" not in renditions[0].codecs
    assert_plays(renditions[0], tmp_path, audio=False)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1080, 1920), [(360, 640), (540, 960), (720, 1280)]),
        ((1920, 1080), [(640, 360), (960, 540), (1280, 720)]),
        ((3840, 2160), [(640, 360), (960, 540), (1280, 720)]),
        ((960, 540), [(640, 360), (960, 540)]),
        ((641, 359), [(640, 358)]),
        ((320, 240), [(320, 240)]),
        ((853, 480), [(640, 360)]),
    ],
)
def test_ladder_rungs_use_the_short_side(
    fake_probe: FakeProbe, size: tuple[int, int], expected: list[tuple[int, int]]
) -> None:
    info = fake_probe(width=size[0], height=size[1])
    rungs = ladder_rungs(info)
    assert [(r.width, r.height) for r in rungs] == expected
    assert all(r.width % 2 == 0 and r.height % 2 == 0 for r in rungs)


def test_rung_size_keeps_aspect(fake_probe: FakeProbe) -> None:
    assert rung_size(fake_probe(width=1440, height=1080), 360) == (480, 360)


def test_parse_media_playlist(tmp_path: Path) -> None:
    playlist = tmp_path / "index.m3u8"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000000,\nseg_00000.ts\n"
        "#EXT-X-DISCONTINUITY\n#EXTINF:1.5,title\nseg_00001.ts\n#EXT-X-ENDLIST\n"
    )
    assert parse_media_playlist(playlist) == [
        Segment(2.0, "seg_00000.ts"),
        Segment(1.5, "seg_00001.ts"),
    ]


def test_playlist_has_segments(tmp_path: Path) -> None:
    playlist = tmp_path / "index.m3u8"
    assert not playlist_has_segments(playlist)
    playlist.write_text("#EXTM3U\n#EXTINF:2.0,\nseg_00000.ts\n")
    assert not playlist_has_segments(playlist)  # listed but not on disk
    (tmp_path / "seg_00000.ts").write_bytes(b"ts")
    assert playlist_has_segments(playlist)
    assert not playlist_has_segments(playlist, n=2)


def rendition_with(durations: list[float]) -> Rendition:
    segments = tuple(Segment(d, f"seg_{i:05d}.ts") for i, d in enumerate(durations))
    return Rendition("x", 640, 360, 1, 1, "avc1.64001e", 30.0, "x/index.m3u8", segments)


def test_segments_aligned_compares_boundaries() -> None:
    ladder = rendition_with([2.0, 2.0, 2.0, 0.5])
    assert segments_aligned(ladder, rendition_with([2.0, 2.0, 2.0, 0.533]))
    assert segments_aligned(ladder, rendition_with([2.02, 1.99, 2.0, 0.5]))
    assert not segments_aligned(ladder, rendition_with([2.5, 1.5, 2.0, 0.5]))
    assert not segments_aligned(ladder, rendition_with([4.0, 2.0, 0.5]))


def test_measure_bandwidth_ignores_a_short_tail() -> None:
    segments = [Segment(2.0, "a"), Segment(2.0, "b"), Segment(0.1, "c")]
    peak, average = measure_bandwidth(segments, [250_000, 500_000, 50_000])
    assert peak == 2_000_000
    assert average == int(800_000 * 8 / 4.1)


def test_find_sps() -> None:
    data = b"\x00\x00\x00\x01\x09\xf0\x00\x00\x01\x67\x64\x00\x1f\xac"
    assert find_sps(data) == b"\x64\x00\x1f"
    assert find_sps(b"\x00\x00\x01\x65\x88") is None


def test_high_frame_rate_ladder_is_capped_at_60(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(tmp_path / "slowmo.mp4", duration=2.5, fps=120, acodec=None)
    info = probe_of(source)
    assert info.fps == 120.0
    renditions = encode_ladder(source, tmp_path / "out", info)
    assert renditions[0].frame_rate == 60.0
    segment = tmp_path / "out" / renditions[0].name / renditions[0].segments[0].uri
    with open_segment(segment) as container:
        assert container.streams.video[0].average_rate == 60
        keyframes = [p.pts for p in container.demux(video=0) if p.is_keyframe]
    assert len(keyframes) == 1  # one 2 s GOP of 120 frames per segment


def test_remux_with_on_playable_grows_an_event_playlist(tmp_path: Path, probe_of: ProbeOf) -> None:
    source = mediafiles.make_video(tmp_path / "long.mp4", duration=12, keyint=60)
    info = probe_of(source)
    playlist = tmp_path / "hls" / "source" / "index.m3u8"
    seen_at_playable: list[int] = []
    rendition = remux_to_hls(
        source,
        tmp_path / "hls",
        info,
        on_playable=lambda: seen_at_playable.append(len(parse_media_playlist(playlist))),
        playable_segments=2,
    )
    assert len(seen_at_playable) == 1
    assert seen_at_playable[0] >= 2
    text = playlist.read_text()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert len(rendition.segments) == 6
    assert_plays(rendition, tmp_path / "hls", audio=True)


def test_rendition_to_mp4_gives_one_probeable_file(
    src_720: Path, tmp_path: Path, probe_of: ProbeOf
) -> None:
    ladder = encode_ladder(src_720, tmp_path, probe_of(src_720), heights=(360,))
    [rung] = ladder
    whole = rendition_to_mp4(tmp_path, rung, tmp_path / "whole.mp4")
    info = probe_of(whole)
    assert (info.video_codec, info.width, info.height) == ("h264", 640, 360)
    assert info.audio_stream_index is None
    assert info.duration == pytest.approx(rung.duration, abs=0.1)
    assert info.keyframe_interval_ok  # the ladder's 2 s keyframes survive the copy
    second = rendition_to_mp4(tmp_path, rung, tmp_path / "second.mp4", first=1, count=1)
    assert probe_of(second).duration == pytest.approx(rung.segments[1].duration, abs=0.1)
    assert not list(tmp_path.glob(".*joined*"))
    with pytest.raises(ValueError, match="no segments"):
        rendition_to_mp4(tmp_path, rung, tmp_path / "none.mp4", first=len(rung.segments))


def test_segment_at() -> None:
    rendition = Rendition(
        "r", 2, 2, 1, 1, "avc1", 30.0, "r/index.m3u8", (Segment(2.0, "a"), Segment(1.5, "b"))
    )
    assert segment_at(rendition, 0.0) == (0, 0.0)
    assert segment_at(rendition, 2.5) == (1, 0.5)
    assert segment_at(rendition, 9.0) == (1, 7.0)  # past the end: the last segment
