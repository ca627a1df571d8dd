"""The reference video's processing status on the exercise's edit form in the Wagtail admin.

Filled through the core's ``practika_admin_page_status`` hook; while the video is on its way
the fragment is fetched again every few seconds from an admin URL (the author is on a form,
not subscribed to the clip's topic), and stops once it settles.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from wagtail.models import Page

from practika_site.core.errors import NotFound
from practika_site.courses.models import ExercisePage
from practika_site.users.models import User

from .models import PracticeClip
from .references import reference_clip_get, reference_made_from
from .selectors import clip_get

POLL_SECONDS = 3


def _player_url(user: Any, clip: PracticeClip) -> str:
    """The clip's player page, when this admin user may watch it there."""
    if not isinstance(user, User) or not clip.playable:
        return ""
    try:
        clip_get(viewer=user, clip_id=clip.pk)
    except NotFound:
        return ""
    return reverse("clips:player", kwargs={"clip_id": clip.pk})


def reference_status_html(request: HttpRequest, page: Page) -> str | None:
    """The fragment for an exercise page as the form shows it (its latest draft); None when
    it has no reference video."""
    if not isinstance(page, ExercisePage) or page.reference_video_id is None:
        return None
    document = page.reference_video
    clip = reference_clip_get(exercise=page) if page.pk else None
    current = clip is not None and document is not None and reference_made_from(clip, document)
    context = {
        "clip": clip if current else None,
        "document": document,
        "player_url": _player_url(request.user, clip) if clip is not None and current else "",
        "poll_url": (
            reverse("practika_clips_reference_status", kwargs={"page_id": page.pk})
            if current and clip is not None and not clip.settled
            else ""
        ),
        "poll_seconds": POLL_SECONDS,
    }
    return render_to_string("plugins/clips/admin/reference_status.html", context, request)


def reference_status_view(request: HttpRequest, page_id: int) -> HttpResponse:
    """The fragment again, for the form's polling script (editors of the page only)."""
    page = get_object_or_404(Page, pk=page_id).specific
    if not page.permissions_for_user(request.user).can_edit():
        raise Http404
    # The latest draft, as on the form: the document may be changed but not yet published.
    latest = page.get_latest_revision_as_object() if isinstance(page, ExercisePage) else page
    return HttpResponse(reference_status_html(request, latest) or "")
