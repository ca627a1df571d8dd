"""``GET /api/v1/segments/{id}/streams/`` and the signed playlists it points at: slices of
the processed take's real HLS playlists whose segment URIs are the clip's own signed URLs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http.response import HttpResponseBase
from django.test import Client

from plugins.clips.media import media_token
from plugins.clips.models import PracticeClip
from plugins.clips.signing import sign
from plugins.segments.models import VideoSegment
from plugins.segments.playlists import parse_playlist
from plugins.segments.streams import TOKEN_PURPOSE
from tests.api.assertions import assert_error, response_json

from .conftest import Clients, MediaDirs
from .helpers import SEGMENTS, body_of, create_segment, fetch, path_of, tag_value, uris

pytestmark = pytest.mark.django_db

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


def assert_media(response: HttpResponseBase, content_type: str) -> None:
    assert response.status_code == 200, body_of(response)[:300]
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


def assert_playlist(response: HttpResponseBase) -> str:
    assert_media(response, PLAYLIST_TYPE)
    assert response["Cache-Control"] == "private, no-store"
    return body_of(response).decode()


def streams_of(client: Any, segment: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"{SEGMENTS}{segment['id']}/streams/")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response_json(response)
    return data


def clip_playlist(take: PracticeClip) -> list[tuple[float, str]]:
    """(EXTINF, file name) of the take's top rendition, from storage."""
    key = take.hls_prefix + take.renditions[0]["playlist"]
    with default_storage.open(key, "rb") as handle:
        playlist = parse_playlist(handle.read().decode())
    return [(entry.duration, entry.uri) for entry in playlist.entries]


def test_streams_give_signed_playlists_of_only_the_overlapping_segments(
    clients: Clients, take: PracticeClip
) -> None:
    segment = create_segment(clients.teacher, take, 2.5, 5.0, "Middle")
    streams = streams_of(clients.student, segment)
    assert set(streams) == {
        "segment_id",
        "hls",
        "renditions",
        "start",
        "end",
        "duration",
        "offset",
        "expires_in",
    }
    assert (streams["start"], streams["end"], streams["duration"]) == (2.5, 5.0, 2.5)
    assert streams["offset"] == pytest.approx(0.5)  # 2.5 s minus the 2 s segment's start
    assert streams["hls"].startswith("http://testserver/media/s/")
    assert streams["hls"].endswith("/master.m3u8")
    [rendition] = streams["renditions"]
    assert rendition["name"] == take.renditions[0]["name"]
    assert rendition["offset"] == pytest.approx(0.5)

    master = assert_playlist(fetch(streams["hls"]))
    assert master.startswith("#EXTM3U\n")
    assert "#EXT-X-STREAM-INF:BANDWIDTH=" in master
    variant_url = urljoin(streams["hls"], uris(master)[0])
    assert variant_url == rendition["url"]

    text = assert_playlist(fetch(variant_url))
    assert text.startswith("#EXTM3U\n")
    assert tag_value(text, "#EXT-X-MEDIA-SEQUENCE") == "1"
    assert tag_value(text, "#EXT-X-TARGETDURATION") == "2"
    assert tag_value(text, "#EXT-X-PLAYLIST-TYPE") == "VOD"
    assert tag_value(text, "#EXT-X-START") == "TIME-OFFSET=0.500000,PRECISE=YES"
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    original = clip_playlist(take)
    listed = uris(text)
    assert [url.rsplit("/", 1)[1] for url in listed] == [name for _, name in original[1:3]]
    extinf = [line for line in text.splitlines() if line.startswith("#EXTINF:")]
    assert extinf == [f"#EXTINF:{duration:.6f}," for duration, _ in original[1:3]]
    for url in listed:
        # The clip's own signed media URLs: no token needed, real MPEG-TS.
        assert url.startswith("http://testserver/media/c/"), url
        response = fetch(url)
        assert_media(response, "video/mp2t")
        name = url.rsplit("/", 1)[1]
        key = f"{take.hls_prefix}{take.renditions[0]['name']}/{name}"
        with default_storage.open(key, "rb") as handle:
            assert body_of(response) == handle.read()


@pytest.mark.parametrize(
    ("start", "end", "first", "count", "offset"),
    [
        (0.0, 7.0, 0, 4, 0.0),  # the whole take
        (2.0, 2.5, 1, 1, 0.0),  # starts on a boundary
        (1.5, 2.0, 0, 1, 1.5),  # ends on a boundary: the next segment is not listed
        (6.2, 7.0, 3, 1, 0.2),  # the short last segment
        (0.25, 6.25, 0, 4, 0.25),
    ],
)
def test_slices_list_exactly_the_overlapping_segments(
    clients: Clients,
    take: PracticeClip,
    start: float,
    end: float,
    first: int,
    count: int,
    offset: float,
) -> None:
    segment = create_segment(clients.student, take, start, end)
    streams = streams_of(clients.student, segment)
    assert streams["offset"] == pytest.approx(offset)
    text = assert_playlist(fetch(streams["renditions"][0]["url"]))
    names = [url.rsplit("/", 1)[1] for url in uris(text)]
    assert names == [name for _, name in clip_playlist(take)[first : first + count]]
    assert tag_value(text, "#EXT-X-MEDIA-SEQUENCE") == str(first)
    assert tag_value(text, "#EXT-X-START") == f"TIME-OFFSET={offset:.6f},PRECISE=YES"


def test_playlists_follow_an_edited_range(clients: Clients, take: PracticeClip) -> None:
    segment = create_segment(clients.student, take, 0.5, 1.5)
    url = streams_of(clients.student, segment)["renditions"][0]["url"]
    assert len(uris(assert_playlist(fetch(url)))) == 1
    clients.student.patch(f"{SEGMENTS}{segment['id']}/", {"end": 4.5}, format="json")
    assert len(uris(assert_playlist(fetch(url)))) == 3


def _with_token(url: str, token: str) -> str:
    prefix, rest = url.split("/media/s/", 1)
    return f"{prefix}/media/s/{token}/{rest.split('/', 1)[1]}"


def test_tampered_expired_and_foreign_tokens_are_refused(
    clients: Clients, take: PracticeClip
) -> None:
    segment = create_segment(clients.student, take, 1.0, 3.0)
    master = streams_of(clients.student, segment)["hls"]
    token = path_of(master).split("/")[3]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert_error(fetch(_with_token(master, tampered)), 403, "bad_signature")
    expired = sign(TOKEN_PURPOSE, {"s": segment["id"]}, expires_at=time.time() - 1)
    assert_error(fetch(_with_token(master, expired)), 403, "link_expired")
    # A clip's media token is no segment token, and a segment token no clip token.
    assert_error(fetch(_with_token(master, media_token(take))), 403, "bad_signature")
    clip_media = f"http://testserver/media/c/{token}/master.m3u8"
    assert_error(fetch(clip_media), 403, "bad_signature")


def test_unknown_paths_deleted_segments_and_writes_are_refused(
    clients: Clients, take: PracticeClip
) -> None:
    segment = create_segment(clients.student, take, 1.0, 3.0)
    master = streams_of(clients.student, segment)["hls"]
    base = master.rsplit("/", 1)[0]
    for path in ("../master.m3u8", "1080p/index.m3u8", "extras/poster.jpg", "export.mp4"):
        assert_error(fetch(f"{base}/{path}"), 404, "not_found")
    assert Client().post(path_of(master)).status_code == 405
    VideoSegment.objects.filter(pk=segment["id"]).delete()
    assert_error(fetch(master), 404, "not_found")


def test_streams_and_playlists_take_a_fixed_number_of_queries(
    clients: Clients, take: PracticeClip, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    segment = create_segment(clients.student, take, 0.0, 7.0)
    with django_assert_max_num_queries(4):
        streams = streams_of(clients.teacher, segment)
    with django_assert_max_num_queries(1):
        assert_playlist(fetch(streams["renditions"][0]["url"]))
    with django_assert_max_num_queries(1):
        assert_playlist(fetch(streams["hls"]))


def test_on_s3_slices_point_at_presigned_gets_and_exports_redirect(
    clients: Clients,
    take: PracticeClip,
    media_dirs: MediaDirs,
    s3_storage: tuple[str, str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # The take's files, as the pipeline would have stored them on S3.
    local = FileSystemStorage(location=media_dirs.media)
    for path in sorted((media_dirs.media / take.storage_prefix).rglob("*")):
        if path.is_file():
            key = path.relative_to(media_dirs.media).as_posix()
            with local.open(key, "rb") as handle:
                assert default_storage.save(key, File(handle, name=path.name)) == key
    segment = create_segment(clients.student, take, 2.5, 5.0)
    streams = streams_of(clients.student, segment)
    assert streams["hls"].startswith("http://testserver/media/s/")
    text = assert_playlist(fetch(streams["renditions"][0]["url"]))
    endpoint, bucket = s3_storage
    listed = uris(text)
    assert len(listed) == 2
    for url in listed:
        assert url.startswith(f"{endpoint}/{bucket}/{take.hls_prefix}"), url
        assert "X-Amz-Signature=" in url
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "video/mp2t"

    with django_capture_on_commit_callbacks(execute=True):
        clients.student.post(f"{SEGMENTS}{segment['id']}/export/")
    detail = response_json(clients.student.get(f"{SEGMENTS}{segment['id']}/"))
    assert detail["export"]["status"] == "ready", detail["export"]
    redirect = fetch(detail["export"]["url"])
    assert redirect.status_code == 302
    answer = requests.get(redirect["Location"], timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "video/mp4"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="segment-')
