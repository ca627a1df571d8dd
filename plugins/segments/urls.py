from django.urls import path

from .streams import segment_media_view

urlpatterns = [
    path("media/s/<str:token>/<path:path>", segment_media_view, name="media"),
]
