"""Signed playback of a segment: playlists sliced per request, and the exported MP4.

``GET /media/s/<token>/master.m3u8`` lists the clip's renditions; each
``/media/s/<token>/<rendition>/index.m3u8`` lists only the clip's HLS segments that overlap
the segment's range, with the clip's own signed segment URLs (Practika's signed paths, or
presigned GETs on S3), so nothing is transcoded or copied. ``/media/s/<token>/export.mp4``
is the exported file. The token names the segment and expires; the range is read per
request, so an edited segment plays its new range.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_safe

from plugins.clips.media import (
    clip_file_uri,
    master_playlist,
    media_error_response,
    media_file_response,
    media_token,
    playlist_response,
)
from plugins.clips.models import PracticeClip
from plugins.clips.signing import sign, unsign
from practika_site.core.errors import NotFound, PractikaError

from .errors import SegmentClipNotPlayable
from .models import VideoSegment
from .playlists import MediaPlaylist, PlaylistSlice, parse_playlist, render_slice, slice_playlist
from .services import segment_export_is_current

TOKEN_PURPOSE = "segment-media"  # noqa: S105  (a signing purpose, not a secret)
MASTER = "master.m3u8"
EXPORT = "export.mp4"


def segment_token(segment: VideoSegment) -> str:
    ttl: int = settings.PRACTIKA_MEDIA_URL_TTL_SECONDS
    return sign(TOKEN_PURPOSE, {"s": str(segment.pk)}, expires_at=time.time() + ttl)


def _url(token: str, path: str, absolute_url: Callable[[str], str]) -> str:
    return absolute_url(reverse("segments:media", kwargs={"token": token, "path": path}))


def _rendition_path(rendition: dict[str, Any]) -> str:
    """A rendition's playlist path below the master (``360p/index.m3u8``)."""
    return str(rendition["playlist"])


def _read_playlist(clip: PracticeClip, rendition: dict[str, Any]) -> MediaPlaylist:
    key = clip.hls_prefix + _rendition_path(rendition)
    try:
        with default_storage.open(key, "rb") as handle:
            return parse_playlist(handle.read().decode())
    except FileNotFoundError as exc:
        raise NotFound("Not found.") from exc


def segment_streams(*, segment: VideoSegment, absolute_url: Callable[[str], str]) -> dict[str, Any]:
    """The ``streams`` answer: signed, expiring playlist URLs and where to clamp playback."""
    clip = segment.clip
    if not clip.playable:
        raise SegmentClipNotPlayable(details={"clip_id": str(clip.pk), "status": clip.status})
    token = segment_token(segment)
    renditions = []
    for rendition in sorted(clip.renditions, key=lambda r: int(r["bandwidth"])):
        piece = slice_playlist(_read_playlist(clip, rendition), segment.start, segment.end)
        renditions.append(
            {
                "name": rendition["name"],
                "width": rendition["width"],
                "height": rendition["height"],
                "bandwidth": rendition["bandwidth"],
                "url": _url(token, _rendition_path(rendition), absolute_url),
                "offset": round(piece.offset, 6),
            }
        )
    return {
        "segment_id": str(segment.pk),
        "hls": _url(token, MASTER, absolute_url),
        "renditions": renditions,
        "start": segment.start,
        "end": segment.end,
        "duration": round(segment.duration, 6),
        # The master's first variant; the ladder's rungs share their cut points.
        "offset": renditions[0]["offset"] if renditions else 0.0,
        "expires_in": settings.PRACTIKA_MEDIA_URL_TTL_SECONDS,
    }


def segment_export_url(segment: VideoSegment, absolute_url: Callable[[str], str]) -> str | None:
    """The signed download URL of a finished export that holds the current range."""
    if not segment_export_is_current(segment):
        return None
    return _url(segment_token(segment), EXPORT, absolute_url)


def render_media_playlist(
    segment: VideoSegment, rendition: dict[str, Any], absolute_url: Callable[[str], str]
) -> str:
    """One rendition's playlist, cut to the segment, each URI signed for the clip."""
    clip = segment.clip
    playlist = _read_playlist(clip, rendition)
    piece: PlaylistSlice = slice_playlist(playlist, segment.start, segment.end)
    directory = posixpath.dirname(clip.hls_prefix + _rendition_path(rendition))
    token = media_token(clip)

    def uri(relative: str) -> str:
        key = posixpath.normpath(posixpath.join(directory, relative))
        if not key.startswith(clip.storage_prefix):
            raise NotFound("Not found.")  # a playlist never points outside its clip
        return clip_file_uri(clip, key, token=token, absolute_url=absolute_url)

    return render_slice(playlist, piece, uri)


@require_safe
def segment_media_view(request: HttpRequest, token: str, path: str) -> HttpResponseBase:
    """``GET /media/s/<token>/<path>``: a segment's playlists or export, if the token is valid."""
    try:
        payload = unsign(TOKEN_PURPOSE, token)
        segment = VideoSegment.objects.select_related("clip").filter(pk=str(payload["s"])).first()
        if segment is None or not segment.clip.playable:
            raise NotFound("Not found.")
        return _serve(request, segment, path)
    except PractikaError as exc:
        return media_error_response(exc)


def _serve(request: HttpRequest, segment: VideoSegment, path: str) -> HttpResponseBase:
    clip = segment.clip
    if path == MASTER:
        return playlist_response(
            master_playlist(clip, lambda key: key.removeprefix(clip.hls_prefix))
        )
    if path == EXPORT:
        if not segment_export_is_current(segment):
            raise NotFound("This segment has no finished export.")
        return media_file_response(request, segment.export_key, attachment=True)
    for rendition in clip.renditions:
        if _rendition_path(rendition) == path:
            text = render_media_playlist(segment, rendition, request.build_absolute_uri)
            return playlist_response(text)
    raise NotFound("Not found.")
