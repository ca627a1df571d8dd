"""Slicing a clip's HLS media playlist to the segments that overlap a time range.

Pure text in, text out: no storage and no signing here, so the slice rules are tested on
their own and the per-request cost is one parse (about a millisecond for the 1,800 entries
of a 60-minute clip) plus one signed URI per listed segment.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

#: Tags that hold for every following segment, so a slice must repeat the one in force.
_STATEFUL = ("#EXT-X-MAP:", "#EXT-X-KEY:")
#: Tags that belong to the next segment only; a slice keeps them with it. Header tags are
#: written anew (the pipeline's playlists have no discontinuity sequence to carry over).
_PER_SEGMENT_FLAGS = ("#EXT-X-DISCONTINUITY", "#EXT-X-GAP")
_PER_SEGMENT_VALUES = ("#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-BYTERANGE:", "#EXT-X-BITRATE:")
#: Playlists with none of these take the fast path of :func:`parse_playlist`.
_SEGMENT_TAG_MARKERS = (
    *_STATEFUL,
    *_PER_SEGMENT_FLAGS,
    *(tag.rstrip(":") for tag in _PER_SEGMENT_VALUES),
)
_SIMPLE_ENTRY = re.compile(r"^(#EXTINF:([^,\r\n]*)[^\r\n]*)\r?\n([^#\s][^\r\n]*)", re.MULTILINE)
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
#: Rounding slack for times computed from EXTINF sums.
EPSILON = 1e-6


class PlaylistEntry(NamedTuple):
    """One media segment: where it starts in the playlist's time, its length, its URI and
    the tag lines written before the URI (EXTINF first). A tuple: a 60-minute playlist makes
    1,800 of them per request."""

    start: float
    duration: float
    uri: str
    tags: tuple[str, ...]
    #: EXT-X-MAP/EXT-X-KEY lines in force for this segment.
    state: tuple[str, ...]

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class MediaPlaylist:
    version: int
    independent_segments: bool
    media_sequence: int
    target_duration: int
    ended: bool
    entries: tuple[PlaylistEntry, ...]

    @property
    def duration(self) -> float:
        return self.entries[-1].end if self.entries else 0.0


def parse_playlist(text: str) -> MediaPlaylist:
    """The media playlist ``text`` as entries with their start times (EXTINF running sums)."""
    if not any(marker in text for marker in _SEGMENT_TAG_MARKERS):
        simple = _parse_simple(text)
        if simple is not None:
            return simple
    return _parse_lines(text)


def _parse_simple(text: str) -> MediaPlaylist | None:
    """The pipeline's playlists (EXTINF then URI, nothing else per segment) in one regex
    pass, several times faster than line by line; None if ``text`` is not that simple."""
    first = text.find("#EXTINF:")
    header = _parse_lines(text[:first] if first >= 0 else text)
    matches = _SIMPLE_ENTRY.findall(text)
    if len(matches) != text.count("#EXTINF:"):
        return None
    entries = []
    clock = 0.0
    for tag, seconds, uri in matches:
        duration = float(seconds)
        entries.append(PlaylistEntry(clock, duration, uri.rstrip(), (tag.rstrip(),), ()))
        clock += duration
    return replace(header, entries=tuple(entries), ended="#EXT-X-ENDLIST" in text)


def _parse_lines(text: str) -> MediaPlaylist:
    version, independent, sequence, target, ended = 3, False, 0, 1, False
    entries: list[PlaylistEntry] = []
    pending: list[str] = []
    state: dict[str, str] = {}
    clock = 0.0
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            if duration is None:
                raise ValueError(f"segment {line!r} has no #EXTINF")
            entries.append(
                PlaylistEntry(clock, duration, line, tuple(pending), tuple(state.values()))
            )
            clock += duration
            pending, duration = [], None
        elif line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
            pending.append(line)
        elif line.startswith("#EXT-X-VERSION:"):
            version = int(line.split(":", 1)[1])
        elif line == "#EXT-X-INDEPENDENT-SEGMENTS":
            independent = True
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":", 1)[1])
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith(_STATEFUL):
            state[line.split(":", 1)[0]] = line
        elif line in _PER_SEGMENT_FLAGS or line.startswith(_PER_SEGMENT_VALUES):
            pending.append(line)
        # Anything else (header tags written anew, comments) is not carried into a slice.
    return MediaPlaylist(version, independent, sequence, target, ended, tuple(entries))


@dataclass(frozen=True)
class PlaylistSlice:
    """The entries overlapping ``[start, end)`` and where ``start`` falls in the first one."""

    first_index: int
    entries: tuple[PlaylistEntry, ...]
    start: float
    end: float
    #: Whether every segment up to ``end`` is listed (false while a growing EVENT
    #: playlist has not reached ``end`` yet).
    complete: bool

    @property
    def offset(self) -> float:
        """Seconds from the first listed segment's start to ``start``: where a player
        begins, and what it subtracts to show segment time."""
        return max(0.0, self.start - self.entries[0].start) if self.entries else 0.0


def slice_playlist(playlist: MediaPlaylist, start: float, end: float) -> PlaylistSlice:
    """Entries with ``entry.start < end`` and ``entry.end > start`` (binary search)."""
    starts = [entry.start for entry in playlist.entries]
    ends = [entry.end for entry in playlist.entries]
    first = bisect_right(ends, start + EPSILON)
    last = bisect_left(starts, end - EPSILON)
    entries = playlist.entries[first:last]
    reached = bool(entries) and entries[-1].end >= end - 1e-3
    return PlaylistSlice(first, entries, start, end, playlist.ended or reached)


def render_slice(playlist: MediaPlaylist, piece: PlaylistSlice, uri: Callable[[str], str]) -> str:
    """A media playlist listing only ``piece``'s segments, each URI mapped through ``uri``.

    It starts players at the range's start (``EXT-X-START`` with ``PRECISE=YES``) and is VOD
    with ``ENDLIST`` once complete; a slice of a playlist still growing is an EVENT playlist.
    """
    longest = max((entry.duration for entry in piece.entries), default=playlist.target_duration)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{max(3, playlist.version)}",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest - EPSILON))}",
        f"#EXT-X-MEDIA-SEQUENCE:{playlist.media_sequence + piece.first_index}",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if piece.complete else 'EVENT'}",
    ]
    if playlist.independent_segments:
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    lines.append(f"#EXT-X-START:TIME-OFFSET={piece.offset:.6f},PRECISE=YES")
    state: tuple[str, ...] = ()
    for entry in piece.entries:
        if entry.state != state:
            lines += [_sign_attribute(tag, uri) for tag in entry.state if tag not in state]
            state = entry.state
        lines += entry.tags
        lines.append(uri(entry.uri))
    if piece.complete:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _sign_attribute(tag: str, uri: Callable[[str], str]) -> str:
    return _URI_ATTRIBUTE.sub(lambda match: f'URI="{uri(match[1])}"', tag)
