from django.urls import path

from .views import notification_list_page, notification_settings_page

urlpatterns = [
    path("notifications/", notification_list_page, name="list"),
    path("notifications/settings/", notification_settings_page, name="settings"),
]
