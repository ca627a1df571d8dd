"""Signed media: streams for a clip, playlists rendered per request, files with Range.

One signed token covers one clip's files for a while; it rides in the path, so the
relative URIs inside playlists and the thumbnail VTT stay signed without rewriting (local
storage). On S3 every URI is rewritten to a presigned GET instead.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.views.decorators.http import require_safe

from practika_site.core.errors import Conflict, NotFound, PractikaError, error_body

from . import storage
from .models import PracticeClip
from .signing import sign, unsign

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/mp4",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
    ".json": "application/json",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class ClipNotPlayable(Conflict):
    code = "clip_not_playable"
    default_message = "This clip cannot be played yet."


def media_token(clip: PracticeClip) -> str:
    ttl: int = settings.PRACTIKA_MEDIA_URL_TTL_SECONDS
    return sign("media", {"c": str(clip.pk)}, expires_at=time.time() + ttl)


def _media_url(token: str, path: str, absolute_url: Callable[[str], str]) -> str:
    return absolute_url(reverse("clips:media", kwargs={"token": token, "path": path}))


def _relative(clip: PracticeClip, key: str) -> str:
    return key.removeprefix(clip.storage_prefix)


def clip_streams(*, clip: PracticeClip, absolute_url: Callable[[str], str]) -> dict[str, Any]:
    """The ``streams`` answer: absolute, signed, expiring URLs; no token needed to fetch."""
    if not clip.playable:
        raise ClipNotPlayable(details={"status": clip.status})
    token = media_token(clip)

    def url(key: str) -> str | None:
        """Playlists and the VTT are rendered by Practika (their URIs are signed per request)."""
        return _media_url(token, _relative(clip, key), absolute_url) if key else None

    def file_url(key: str, *, download: bool = False) -> str | None:
        """Plain files: on S3 a presigned GET straight away, else Practika's signed path."""
        if not key or not storage.uses_s3():
            return url(key)
        return _s3_uri(key, download=download)

    renditions = [
        {
            "name": r["name"],
            "width": r["width"],
            "height": r["height"],
            "bandwidth": r["bandwidth"],
            "url": url(clip.hls_prefix + r["playlist"]),
        }
        for r in clip.renditions
    ]
    return {
        "hls": _media_url(token, "master.m3u8", absolute_url),
        "renditions": renditions,
        "poster": file_url(clip.poster_key),
        "thumbnails_vtt": url(clip.thumbnails_vtt_key),
        "waveform": file_url(clip.waveform_key),
        "original": file_url(clip.original_key, download=True),
        "expires_in": settings.PRACTIKA_MEDIA_URL_TTL_SECONDS,
    }


def clip_file_uri(
    clip: PracticeClip,
    key: str,
    *,
    token: str,
    absolute_url: Callable[[str], str],
    download: bool = False,
) -> str:
    """A signed URL of one of ``clip``'s stored files (an HLS segment, say), as a player
    fetches it: a presigned GET on S3, else Practika's path signed by ``token``
    (:func:`media_token`). Other plugins render playlists that point at the clip's files
    with it."""
    if storage.uses_s3():
        return _s3_uri(key, download=download)
    return _media_url(token, _relative(clip, key), absolute_url)


def playlist_response(text: str) -> HttpResponse:
    """A playlist rendered per request: its content type, nosniff, never cached."""
    return _text(text, CONTENT_TYPES[".m3u8"])


def media_file_response(
    request: HttpRequest, key: str, *, attachment: bool = False
) -> HttpResponseBase:
    """One stored file with Range support (on S3, a redirect to a presigned GET)."""
    if storage.uses_s3():
        return HttpResponseRedirect(_s3_uri(key, download=attachment))
    return _file_response(request, key, attachment=attachment)


def media_error_response(exc: PractikaError) -> HttpResponse:
    """A signed-media view's error in the API's error format (403 for a bad token...)."""
    return _error(exc)


def master_playlist(clip: PracticeClip, uri: Callable[[str], str]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in sorted(clip.renditions, key=lambda r: int(r["bandwidth"])):
        attributes = [
            f"BANDWIDTH={int(r['bandwidth'])}",
            f"AVERAGE-BANDWIDTH={int(r.get('average_bandwidth') or r['bandwidth'])}",
            f"RESOLUTION={int(r['width'])}x{int(r['height'])}",
        ]
        if r.get("codecs"):
            attributes.append(f'CODECS="{r["codecs"]}"')
        if r.get("frame_rate"):
            attributes.append(f"FRAME-RATE={float(r['frame_rate']):.3f}")
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), uri(clip.hls_prefix + r["playlist"])]
    return "\n".join(lines) + "\n"


def _rewrite_uris(text: str, base_key: str, uri: Callable[[str], str]) -> str:
    """Point each URI line (relative to the playlist) at ``uri(key)``; tags stay as they are."""
    directory = posixpath.dirname(base_key)
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            line = uri(posixpath.normpath(posixpath.join(directory, line)))
        out.append(line)
    return "\n".join(out) + "\n"


def _s3_uri(key: str, *, download: bool = False) -> str:
    ttl: int = settings.PRACTIKA_MEDIA_URL_TTL_SECONDS
    if storage.cloudfront_configured() and not download:
        # CloudFront serves the type stored with the object; it cannot add a per-request
        # Content-Disposition, so the original's download stays a presigned S3 GET.
        return storage.cloudfront_signed_url(key, expires_in=ttl)
    content_type = CONTENT_TYPES.get(posixpath.splitext(key)[1])
    disposition = f'attachment; filename="{posixpath.basename(key)}"' if download else None
    return storage.s3_presigned_get(
        key, expires_in=ttl, content_type=content_type, content_disposition=disposition
    )


def _error(exc: PractikaError) -> HttpResponse:
    import json

    return HttpResponse(
        json.dumps(error_body(exc.code, exc.message, exc.details)),
        status=exc.http_status,
        content_type="application/json",
    )


@require_safe
def media_view(request: HttpRequest, token: str, path: str) -> HttpResponseBase:
    """``GET /media/c/<token>/<path>``: a file of one clip, if the token is valid."""
    try:
        payload = unsign("media", token)
        clip = PracticeClip.objects.filter(pk=payload["c"]).first()
        normalized = posixpath.normpath(path)
        if clip is None or normalized.startswith(("..", "/")) or normalized != path:
            raise NotFound("Not found.")
        return _serve(request, clip, path)
    except PractikaError as exc:
        return _error(exc)


def _serve(request: HttpRequest, clip: PracticeClip, path: str) -> HttpResponseBase:
    if path == "master.m3u8":
        if not clip.playable:
            raise NotFound("Not playable yet.")

        def variant_uri(key: str) -> str:
            # Always this view (relative to the master, so still signed by the path's
            # token): on S3 too, a variant must be rendered here to sign its segments.
            return _relative(clip, key)

        return _text(master_playlist(clip, variant_uri), CONTENT_TYPES[".m3u8"])
    key = clip.storage_prefix + path
    extension = posixpath.splitext(path)[1]
    if extension in (".m3u8", ".vtt"):
        if not default_storage.exists(key):
            raise NotFound("Not found.")
        with default_storage.open(key, "rb") as handle:
            text = handle.read().decode()
        if storage.uses_s3():
            # Segments and the sprite are fetched from S3 directly, presigned per request.
            text = (
                _rewrite_vtt(text, key, _s3_uri)
                if extension == ".vtt"
                else _rewrite_uris(text, key, _s3_uri)
            )
        return _text(text, CONTENT_TYPES[extension])
    attachment = key == clip.original_key
    if storage.uses_s3():
        return HttpResponseRedirect(_s3_uri(key, download=attachment))
    return _file_response(request, key, attachment=attachment)


def _rewrite_vtt(text: str, base_key: str, uri: Callable[[str], str]) -> str:
    directory = posixpath.dirname(base_key)

    def replace(match: re.Match[str]) -> str:
        return uri(posixpath.normpath(posixpath.join(directory, match[1]))) + match[2]

    return re.sub(r"^([^\s#][^\s#]*\.jpg)(#xywh=\S+)$", replace, text, flags=re.MULTILINE)


def _text(body: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, no-store"  # signed per request, never share
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_response(request: HttpRequest, key: str, *, attachment: bool) -> HttpResponseBase:
    if not default_storage.exists(key):
        raise NotFound("Not found.")
    size = default_storage.size(key)
    content_type = CONTENT_TYPES.get(posixpath.splitext(key)[1]) or (
        mimetypes.guess_type(key)[0] or "application/octet-stream"
    )
    handle = default_storage.open(key, "rb")
    match = _RANGE.match(request.headers.get("Range", ""))
    response: HttpResponseBase
    if match and (match[1] or match[2]):
        start, end = _byte_range(match, size)
        if start >= size or start > end:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        response = StreamingHttpResponse(_read(handle, end - start + 1), status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        response["Content-Type"] = content_type
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if attachment:
        response["Content-Disposition"] = f'attachment; filename="{posixpath.basename(key)}"'
    return response


def _byte_range(match: re.Match[str], size: int) -> tuple[int, int]:
    if not match[1]:  # "bytes=-N": the last N bytes
        return max(0, size - int(match[2])), size - 1
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    return start, end


def _read(handle: File[Any], length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            chunk = handle.read(min(length, 256 * 1024))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()
