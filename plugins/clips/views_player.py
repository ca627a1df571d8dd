"""``/player/clip/<id>/``: one clip in the player with its timeline, for anyone who may see it.

A small page of its own (the practice and review rooms embed the same ``<practika-player>``):
it links straight to a take, and it is where the player's browser tests run. ``?compare=<id>``
puts another visible clip beside it; by default the exercise's reference video is offered.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from practika_site.core.errors import NotFound
from practika_site.users.models import User

from .models import PracticeClip
from .selectors import clip_get, reference_clip_for

DEFAULT_ASPECT_RATIO = "16 / 9"


def streams_url(clip: PracticeClip) -> str:
    return reverse("clip-streams", kwargs={"pk": clip.pk})


def aspect_ratio(clip: PracticeClip) -> str:
    """The video box's CSS aspect-ratio, reserved before the video loads (no layout shift)."""
    if clip.width and clip.height:
        return f"{clip.width} / {clip.height}"
    return DEFAULT_ASPECT_RATIO


def _compare_clip(viewer: User, clip: PracticeClip, wanted: str) -> PracticeClip | None:
    """The clip named by ``?compare=`` (404 if the viewer may not see it), else the
    exercise's reference video when there is one to compare with."""
    if wanted:
        return clip_get(viewer=viewer, clip_id=wanted)
    if clip.kind == PracticeClip.Kind.REFERENCE:
        return None
    try:
        return reference_clip_for(viewer=viewer, exercise_id=clip.exercise.uuid)
    except NotFound:
        return None


@login_required
@require_GET
def player_page(request: HttpRequest, clip_id: UUID) -> HttpResponse:
    viewer = request.user
    assert isinstance(viewer, User)  # login_required ran first
    try:
        clip = clip_get(viewer=viewer, clip_id=clip_id)
        compare = _compare_clip(viewer, clip, request.GET.get("compare", ""))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    context = {
        "clip": clip,
        "streams_url": streams_url(clip),
        "timeline_url": f"/api/v1/clips/{clip.pk}/timeline/",
        "aspect_ratio": aspect_ratio(clip),
        "compare": compare if compare is not None and compare.playable else None,
        "compare_streams_url": streams_url(compare) if compare is not None else "",
    }
    return render(request, "plugins/clips/player_page.html", context)
