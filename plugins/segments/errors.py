from practika_site.core.errors import Conflict, InvalidInput


class SegmentRangeInvalid(InvalidInput):
    code = "segment_range_invalid"
    default_message = "The segment's range does not fit the clip."


class SegmentClipNotPlayable(Conflict):
    code = "segment_clip_not_playable"
    default_message = "Segments can be cut once the clip is playable."


class SegmentExportRunning(Conflict):
    code = "segment_export_running"
    default_message = "This segment is being exported; wait for the export to finish."
