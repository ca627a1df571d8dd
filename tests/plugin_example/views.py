from typing import Any

from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .models import ExamplePing


class ExampleAdminView(WagtailAdminTemplateMixin, TemplateView):
    """``/cms/example/``: Wagtail's admin wraps it in require_admin_access."""

    page_title = "Example plugin"
    header_icon = "pick"
    template_name = "plugins/plugin_example/admin_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["ping_count"] = ExamplePing.objects.count()
        return context
