from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.views.static import serve


def public_image(request: HttpRequest, path: str) -> HttpResponseBase:
    """A Wagtail image file from local storage (the only public part of MEDIA_ROOT)."""
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))
