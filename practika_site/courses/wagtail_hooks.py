"""Enrollments in the Wagtail admin, where admins enroll teachers."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Enrollment


class EnrollmentViewSet(SnippetViewSet):
    model = Enrollment
    icon = "group"
    menu_label = "Enrollments"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["user", "course", "role", "created_at"]
    list_filter = ["course", "role"]
    search_fields = ["user__username", "course__title"]
    # (course, user) is unique, so a copied enrollment could never be saved.
    copy_view_enabled = False
    panels = [FieldPanel("course"), FieldPanel("user"), FieldPanel("role")]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        return Enrollment.objects.select_related("user", "course")


register_snippet(EnrollmentViewSet)
