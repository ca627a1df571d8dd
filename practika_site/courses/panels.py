"""Admin panels of the course pages that plugins fill without the core importing them."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe
from wagtail import hooks
from wagtail.admin.panels import Panel

#: ``(request, page) -> str | None``: the HTML of one read-only part of the panel, or None.
PAGE_STATUS_HOOK = "practika_admin_page_status"


class PluginStatusPanel(Panel):
    """Read-only status on a page's edit form (say, how far its reference video got through
    processing), from every ``practika_admin_page_status`` hook; hidden when none has any."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "courses/admin/plugin_status_panel.html"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            page_hooks = hooks.get_hooks(PAGE_STATUS_HOOK)
            parts = (hook(self.request, self.instance) for hook in page_hooks)
            # Each hook returns HTML it rendered itself (escaped by its template).
            self.parts: list[SafeString] = [mark_safe(part) for part in parts if part]  # noqa: S308

        def is_shown(self) -> bool:
            return bool(self.parts)

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context: dict[str, Any] = super().get_context_data(parent_context)
            context["parts"] = self.parts
            return context
