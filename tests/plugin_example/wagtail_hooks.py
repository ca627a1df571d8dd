"""Found by Wagtail itself: an admin page at ``/cms/example/`` and its menu item."""

from django.urls import URLPattern, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .views import ExampleAdminView


@hooks.register("register_admin_urls")
def register_example_admin_urls() -> list[URLPattern]:
    return [path("example/", ExampleAdminView.as_view(), name="plugin_example_admin")]


@hooks.register("register_admin_menu_item")
def register_example_menu_item() -> MenuItem:
    return MenuItem(
        "Example plugin", reverse("plugin_example_admin"), name="plugin-example", icon_name="pick"
    )
