import io
from typing import Any

from django.conf import settings
from rest_framework.parsers import FormParser, JSONParser

from .errors import TooLarge


def _read_bounded(stream: Any, parser_context: Any) -> io.BytesIO:
    """The whole body, or TooLarge when it is over PRACTIKA_API_MAX_BODY_BYTES.

    DRF reads the request stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
    applies to the bodies DRF's own parsers read into memory; this bound does.
    """
    limit: int = settings.PRACTIKA_API_MAX_BODY_BYTES
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is over {limit} bytes.")
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise TooLarge(f"The request body is over {limit} bytes.")
    return io.BytesIO(body)


class BoundedJSONParser(JSONParser):
    """JSON parser that refuses bodies over PRACTIKA_API_MAX_BODY_BYTES with a 413."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return super().parse(_read_bounded(stream, parser_context), media_type, parser_context)


class BoundedFormParser(FormParser):
    """Form (urlencoded) parser with the same 413 bound as BoundedJSONParser."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return super().parse(_read_bounded(stream, parser_context), media_type, parser_context)
