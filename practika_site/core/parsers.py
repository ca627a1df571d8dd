import io
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import TooLarge


class BoundedJSONParser(JSONParser):
    """JSON parser that refuses bodies over PRACTIKA_API_MAX_BODY_BYTES with a 413.

    DRF reads the request stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
    applies to JSON bodies; this bound does.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit: int = settings.PRACTIKA_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"The request body is over {limit} bytes.")
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise TooLarge(f"The request body is over {limit} bytes.")
        return super().parse(io.BytesIO(body), media_type, parser_context)
