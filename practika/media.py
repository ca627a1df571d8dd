"""Reading a video's duration from its header, so callers need not pass ``duration_sec``.

Only ISO base media files (MP4, MOV, M4V, 3GP) are read: the ``moov/mvhd`` box holds the
timescale and duration. The file is walked box by box with seeks, never read whole. Other
containers answer ``None`` and the caller must say the duration.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO

#: Boxes nested deeper than this are not a real file's (and would loop on crafted input).
MAX_BOXES = 10_000


def probe_duration(path: Path) -> float | None:
    """The duration in seconds from an MP4/MOV header, or ``None`` when it cannot be read."""
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            moov = _find_box(handle, b"moov", 0, size)
            if moov is None:
                return None
            mvhd = _find_box(handle, b"mvhd", *moov)
            if mvhd is None:
                return None
            return _mvhd_duration(handle, mvhd[0])
    except (OSError, struct.error, IndexError):
        return None


def _find_box(handle: IO[bytes], wanted: bytes, start: int, end: int) -> tuple[int, int] | None:
    """``(payload start, box end)`` of the first ``wanted`` box in ``[start, end)``."""
    position = start
    for _ in range(MAX_BOXES):
        if position + 8 > end:
            return None
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            return None
        box_size, box_type = struct.unpack(">I4s", header)
        payload = position + 8
        if box_size == 1:  # a 64-bit size follows the type
            (box_size,) = struct.unpack(">Q", handle.read(8))
            payload += 8
        elif box_size == 0:  # the box runs to the end of the file
            box_size = end - position
        if box_size < payload - position:
            return None
        if box_type == wanted:
            return payload, min(position + box_size, end)
        position += box_size
    return None


def _mvhd_duration(handle: IO[bytes], payload: int) -> float | None:
    handle.seek(payload)
    version = handle.read(4)[0]
    if version == 1:
        _created, _modified, timescale, duration = struct.unpack(">QQIQ", handle.read(28))
    else:
        _created, _modified, timescale, duration = struct.unpack(">IIII", handle.read(16))
    if timescale == 0:
        return None
    return float(duration) / float(timescale)
