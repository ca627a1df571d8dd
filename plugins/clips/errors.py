from practika_site.core.errors import Conflict, InvalidInput, TooLarge, UnsupportedMedia


class ClipStateConflict(Conflict):
    code = "clip_state_conflict"


class MaxTakesReached(Conflict):
    code = "max_takes_reached"
    default_message = "You have used every take this exercise allows."


class UploadExpired(Conflict):
    code = "upload_expired"
    default_message = "The upload window has closed; ask for a new upload."


class UploadMissing(Conflict):
    code = "upload_missing"
    default_message = "Nothing has been uploaded for this clip yet."


class UploadAlreadyDone(Conflict):
    code = "upload_already_done"
    default_message = "This upload link has been used already."


class UploadSizeMismatch(InvalidInput):
    code = "upload_size_mismatch"


class UploadChecksumMismatch(InvalidInput):
    code = "upload_checksum_mismatch"


class UploadTooLarge(TooLarge):
    code = "upload_too_large"


class NotAVideo(UnsupportedMedia):
    code = "media_unsupported_type"
    default_message = "Upload a video file (MP4, MOV, WebM, MKV or 3GP)."


class MultipartUnavailable(Conflict):
    code = "multipart_unavailable"
    default_message = "Multipart uploads need S3 storage; use the upload URL or tus instead."


class UploadPartsInvalid(InvalidInput):
    code = "upload_parts_invalid"
    default_message = "The parts do not complete this upload."
