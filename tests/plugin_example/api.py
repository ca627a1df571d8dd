"""``/api/v1/example-pings/``: the caller's own pings (list, create)."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from practika_site.users.models import User

from .models import ExamplePing
from .selectors import example_ping_list
from .serializers import ExamplePingReadSerializer, ExamplePingWriteSerializer
from .services import example_ping_create


class ExamplePingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[ExamplePing]):
    serializer_class = ExamplePingReadSerializer

    def get_queryset(self) -> QuerySet[ExamplePing]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model
            return ExamplePing.objects.none()
        user = self.request.user
        assert isinstance(user, User)  # IsAuthenticated ran first
        return example_ping_list(owner_id=user.pk)

    @extend_schema(request=ExamplePingWriteSerializer, responses={201: ExamplePingReadSerializer})
    def create(self, request: Request) -> Response:
        data = ExamplePingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        ping = example_ping_create(owner=request.user, note=data.validated_data["note"])
        return Response(ExamplePingReadSerializer(ping).data, status=status.HTTP_201_CREATED)


def register_api(router: BaseRouter) -> None:
    router.register("example-pings", ExamplePingViewSet, basename="example-ping")
