from django.contrib import admin

from .models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin[Enrollment]):
    list_display = ("user", "course", "role", "created_at")
    list_filter = ("role", "course")
    search_fields = ("user__username", "course__title")
    list_select_related = ("user", "course")
    autocomplete_fields = ("user",)
    raw_id_fields = ("course",)  # pages are managed in Wagtail; the id is on its edit URL
    readonly_fields = ("created_at",)
