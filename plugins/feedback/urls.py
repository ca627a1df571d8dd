from django.urls import path

from .api import ClipTimelineView
from .views import review_queue_page, review_take_page, take_feedback_page

urlpatterns = [
    path("api/v1/clips/<uuid:clip_id>/timeline/", ClipTimelineView.as_view(), name="clip-timeline"),
    path("review/", review_queue_page, name="review-queue"),
    path("review/clips/<uuid:clip_id>/", review_take_page, name="review-take"),
    path("feedback/clips/<uuid:clip_id>/", take_feedback_page, name="take-feedback"),
]
