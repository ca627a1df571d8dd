"""A playlist or concat list disguised as a video must never leak another local file.

The secret is a real video whose H.264 stream carries a unique marker in an SEI message,
which ``-c copy`` would carry into any output that read it. First the test proves the
attack works against a naive ffmpeg command; then it forces each disguise through probe()
and every ffmpeg-running function of the library (with a probe result forged from the
secret, as if probing had been skipped) and checks that each one fails and that no byte
of the output tree contains the marker.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import huey_tasks.media.probe as probe_module
from huey_tasks.media.extras import make_poster, make_sprite, make_waveform
from huey_tasks.media.ffmpeg import MediaError, MediaRejected
from huey_tasks.media.hls import encode_ladder, remux_to_hls, transcode_first_rendition
from huey_tasks.media.probe import MediaCaps, ProbeResult, keyframes_aligned, probe
from tests import mediafiles

Operation = Callable[[Path, Path, ProbeResult], object]

OPERATIONS: dict[str, Operation] = {
    "remux": lambda src, out, info: remux_to_hls(src, out, info),
    "first_rendition": lambda src, out, info: transcode_first_rendition(src, out, info),
    "ladder": lambda src, out, info: encode_ladder(src, out, info),
    "poster": lambda src, out, info: make_poster(src, out / "poster.jpg", info),
    "sprite": lambda src, out, info: make_sprite(src, out / "sprite.jpg", out / "sprite.vtt", info),
    "waveform": lambda src, out, info: make_waveform(src, out / "waveform.json", info),
}


@dataclasses.dataclass(frozen=True)
class Attack:
    marker: bytes
    secret_info: ProbeResult
    disguises: dict[str, Path]


@pytest.fixture(scope="module")
def attack(tmp_path_factory: pytest.TempPathFactory) -> Attack:
    root = tmp_path_factory.mktemp("attack")
    marker = f"SECRET-{uuid.uuid4().hex}"
    # The HLS demuxer only accepts media segment extensions such as .ts.
    secret_ts = mediafiles.make_video(root / "secret.ts", duration=2, sei_text=marker)
    secret_mp4 = mediafiles.make_video(root / "secret.mp4", duration=2, sei_text=marker)
    assert marker.encode() in secret_mp4.read_bytes()
    disguises = {
        "hls_as_mp4": mediafiles.make_disguised_hls(root / "hls.mp4", secret_ts.name),
        "hls_as_m3u8": mediafiles.make_disguised_hls(root / "hls.m3u8", secret_ts.name),
        "hls_absolute": mediafiles.make_disguised_hls(root / "hls_abs.mp4", secret_ts),
        "concat": mediafiles.make_disguised_concat(root / "concat.mp4", secret_mp4.name),
        "concat_as_mkv": mediafiles.make_disguised_concat(root / "concat.mkv", secret_mp4.name),
    }
    return Attack(marker.encode(), probe(secret_mp4, MediaCaps()), disguises)


@pytest.mark.parametrize("disguise", ["hls_as_m3u8", "concat"])
def test_the_attack_works_without_the_whitelists(
    attack: Attack, tmp_path: Path, disguise: str
) -> None:
    # Guards the test itself: a naive command really leaks the secret into its output.
    output = tmp_path / "naive.ts"
    mediafiles.ffmpeg("-i", str(attack.disguises[disguise]), "-c", "copy", str(output))
    assert attack.marker in output.read_bytes()


@pytest.mark.parametrize(
    "disguise", ["hls_as_mp4", "hls_as_m3u8", "hls_absolute", "concat", "concat_as_mkv"]
)
def test_probe_rejects_disguised_playlists(attack: Attack, disguise: str) -> None:
    with pytest.raises(MediaRejected) as caught:
        probe(attack.disguises[disguise], MediaCaps())
    assert caught.value.code == "media_unsupported_container"
    with pytest.raises(MediaRejected):
        keyframes_aligned(attack.disguises[disguise])


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("disguise", ["hls_as_mp4", "hls_as_m3u8", "concat"])
def test_no_ffmpeg_function_leaks_the_secret(
    attack: Attack, tmp_path: Path, operation: str, disguise: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(MediaError) as caught:
        OPERATIONS[operation](attack.disguises[disguise], out, attack.secret_info)
    assert caught.value.code == "media_ffmpeg_failed"
    assert mediafiles.tree_contains(out, attack.marker) == []


@pytest.mark.parametrize("disguise", ["hls_as_m3u8", "concat"])
def test_pyav_whitelists_hold_without_the_sniffer(
    attack: Attack, monkeypatch: pytest.MonkeyPatch, disguise: str
) -> None:
    # Defence in depth: with the first-bytes check switched off, libavformat's own
    # whitelists still refuse to open the playlist or to follow it.
    monkeypatch.setattr(probe_module, "sniff_rejection", lambda head: None)
    with pytest.raises(MediaRejected) as caught:
        probe(attack.disguises[disguise], MediaCaps())
    assert caught.value.code in {"media_unreadable", "media_unsupported_container"}
