from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from practika_site.api import build_urlpatterns
from practika_site.core.plugins import plugin_urlpatterns
from practika_site.core.views import public_image

handler404 = "practika_site.core.errors.handler404"
handler500 = "practika_site.core.errors.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("practika_site.users.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *plugin_urlpatterns(),
    path("api/v1/", include(build_urlpatterns())),
]

if settings.PRACTIKA_STORAGE == "local":
    # Only Wagtail's images are public files. Clips are served through signed URLs and
    # documents through Wagtail's view (page privacy applies), so MEDIA_ROOT as a whole
    # must never be served; nginx in front follows the same rule.
    urlpatterns += [
        re_path(r"^media/(?P<path>(?:original_images|images)/[^/]+)$", public_image),
    ]

urlpatterns += [path("", include(wagtail_urls))]
