from django.urls import path

from .api import ExerciseReferenceView
from .media import media_view
from .uploads import SignedUploadView, TusCreateView, TusUploadView
from .views_player import player_page

urlpatterns = [
    path("api/v1/uploads/<str:token>/", SignedUploadView.as_view(), name="upload"),
    path("api/v1/clips/<uuid:clip_id>/tus/", TusCreateView.as_view(), name="tus-create"),
    path(
        "api/v1/clips/<uuid:clip_id>/tus/<uuid:upload_id>/",
        TusUploadView.as_view(),
        name="tus-upload",
    ),
    path(
        "api/v1/exercises/<uuid:exercise_id>/reference/",
        ExerciseReferenceView.as_view(),
        name="exercise-reference",
    ),
    path("media/c/<str:token>/<path:path>", media_view, name="media"),
    path("player/clip/<uuid:clip_id>/", player_page, name="player"),
]
