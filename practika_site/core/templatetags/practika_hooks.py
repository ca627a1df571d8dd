"""Template tags through which plugins add to core pages without core knowing them."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from wagtail import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def plugin_header_items(context: dict[str, Any]) -> SafeString:
    """Whatever plugins put in the site header (``practika_header_items`` hooks: each a
    function ``(request) -> str | None`` returning HTML, or None to add nothing)."""
    request = context.get("request")
    parts = []
    for item in hooks.get_hooks("practika_header_items"):
        html = item(request) if request is not None else None
        if html:
            parts.append(conditional_escape(html))
    return mark_safe("".join(parts))  # noqa: S308  (each part escaped or marked safe by its plugin)


@register.simple_tag(takes_context=True)
def plugin_page_panels(context: dict[str, Any], hook_name: str) -> SafeString:
    """Panels plugins add to the page being rendered (``hook_name`` hooks: each a function
    ``(request, page) -> str | None`` returning HTML, or None to add nothing)."""
    request, page = context.get("request"), context.get("page")
    if request is None or page is None:
        return mark_safe("")
    parts = []
    for panel in hooks.get_hooks(hook_name):
        html = panel(request, page)
        if html:
            parts.append(conditional_escape(html))
    return mark_safe("".join(parts))  # noqa: S308  (each part escaped or marked safe by its plugin)
