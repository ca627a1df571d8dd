"""``/api/v1/courses/`` and ``/api/v1/exercises/``: serializers, viewsets, registration."""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from practika_site.core.errors import NotAuthenticated
from practika_site.core.routing_ids import UUID_PATTERN
from practika_site.users.models import User

from .models import CoursePage, Enrollment, ExercisePage
from .selectors import (
    LessonNode,
    ModuleNode,
    course_get,
    course_list,
    course_visible_get,
    exercise_get,
    exercise_list,
)
from .services import enrollment_create, enrollment_delete

ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def page_absolute_url(page: Page, request: Request | None) -> str | None:
    """The page's URL on the site the request came to (another site's root URL otherwise)."""
    if request is None:
        return page.full_url
    http_request = request._request
    url = page.get_url(request=http_request)
    return http_request.build_absolute_uri(url) if url else None


def _viewer(request: Request) -> User:
    if not isinstance(request.user, User):  # IsAuthenticated has run; this narrows the type
        raise NotAuthenticated()
    return request.user


class PageRef(NamedTuple):
    uuid: UUID
    title: str


class PageRefSerializer(serializers.Serializer[PageRef]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    title = serializers.CharField(read_only=True)


class _PageLinkSerializer(serializers.Serializer[Page]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The page on the site.")

    def get_url(self, page: Page) -> str | None:
        return page_absolute_url(page, self.context.get("request"))


class CourseExerciseSerializer(_PageLinkSerializer):
    target_duration_sec = serializers.IntegerField(read_only=True)
    max_takes = serializers.IntegerField(read_only=True, allow_null=True)


class CourseLessonSerializer(serializers.Serializer[LessonNode]):
    id = serializers.UUIDField(source="page.uuid", read_only=True)
    title = serializers.CharField(source="page.title", read_only=True)
    url = serializers.SerializerMethodField()
    exercises = CourseExerciseSerializer(many=True, read_only=True)

    def get_url(self, node: LessonNode) -> str | None:
        return page_absolute_url(node.page, self.context.get("request"))


class CourseModuleSerializer(serializers.Serializer[ModuleNode]):
    id = serializers.UUIDField(source="page.uuid", read_only=True)
    title = serializers.CharField(source="page.title", read_only=True)
    url = serializers.SerializerMethodField()
    lessons = CourseLessonSerializer(many=True, read_only=True)

    def get_url(self, node: ModuleNode) -> str | None:
        return page_absolute_url(node.page, self.context.get("request"))


class CourseReadSerializer(_PageLinkSerializer):
    summary = serializers.CharField(read_only=True)
    level = serializers.ChoiceField(choices=CoursePage.Level.choices, read_only=True)
    enrolled_as = serializers.ChoiceField(
        choices=Enrollment.Role.choices,
        allow_null=True,
        read_only=True,
        help_text="The caller's role in the course, or null when not enrolled.",
    )
    module_count = serializers.IntegerField(read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)
    exercise_count = serializers.IntegerField(read_only=True)


class CourseDetailSerializer(CourseReadSerializer):
    description = serializers.SerializerMethodField(help_text="HTML.")
    modules = CourseModuleSerializer(source="outline", many=True, read_only=True)

    def get_description(self, course: CoursePage) -> str:
        return expand_db_html(course.description)


class EnrollmentReadSerializer(serializers.Serializer[Enrollment]):
    id = serializers.UUIDField(read_only=True)
    course = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Enrollment.Role.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(PageRefSerializer)
    def get_course(self, enrollment: Enrollment) -> dict[str, Any]:
        course = enrollment.course
        return PageRefSerializer(PageRef(uuid=course.uuid, title=course.title)).data


class RubricCriterionReadSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    max_score = serializers.IntegerField(read_only=True)


def _ref(uuid: UUID | None, title: str | None) -> dict[str, Any] | None:
    if uuid is None or title is None:
        return None
    return PageRefSerializer(PageRef(uuid=uuid, title=title)).data


class ExerciseReadSerializer(_PageLinkSerializer):
    """An exercise from ``exercise_list``, whose annotations carry its ancestors."""

    target_duration_sec = serializers.IntegerField(read_only=True)
    max_takes = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="null means unlimited takes."
    )
    course = serializers.SerializerMethodField()
    module = serializers.SerializerMethodField()
    lesson = serializers.SerializerMethodField()

    @extend_schema_field(PageRefSerializer)
    def get_course(self, exercise: ExercisePage) -> dict[str, Any] | None:
        return _ref(exercise.course_uuid, exercise.course_title)

    @extend_schema_field(PageRefSerializer)
    def get_module(self, exercise: ExercisePage) -> dict[str, Any] | None:
        return _ref(exercise.module_uuid, exercise.module_title)

    @extend_schema_field(PageRefSerializer)
    def get_lesson(self, exercise: ExercisePage) -> dict[str, Any] | None:
        return _ref(exercise.lesson_uuid, exercise.lesson_title)


class ExerciseDetailSerializer(ExerciseReadSerializer):
    instructions = serializers.SerializerMethodField(help_text="HTML.")
    rubric_criteria = RubricCriterionReadSerializer(many=True, read_only=True)

    def get_instructions(self, exercise: ExercisePage) -> str:
        return expand_db_html(exercise.instructions)


class ExerciseFilterSerializer(serializers.Serializer[Any]):
    course = serializers.UUIDField(required=False, help_text="Only this course's exercises.")
    lesson = serializers.UUIDField(required=False, help_text="Only this lesson's exercises.")
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words in title or task."
    )


class CourseViewSet(viewsets.GenericViewSet[CoursePage]):
    """The course catalog (every published course) and enrollment."""

    queryset = CoursePage.objects.none()  # for the schema only: reads go through selectors
    serializer_class = CourseReadSerializer
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(course_list(viewer=_viewer(request)))
        serializer = CourseReadSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(parameters=[ID_PARAMETER], responses=CourseDetailSerializer)
    def retrieve(self, request: Request, id: str) -> Response:
        course = course_get(viewer=_viewer(request), course_id=UUID(id))
        return Response(CourseDetailSerializer(course, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[ID_PARAMETER],
        request=None,
        responses={
            200: OpenApiResponse(EnrollmentReadSerializer, description="Already enrolled."),
            201: OpenApiResponse(EnrollmentReadSerializer, description="Enrolled as student."),
        },
    )
    @action(detail=True, methods=["post"])
    def enroll(self, request: Request, id: str) -> Response:
        """Enroll the caller as a student; repeating it changes nothing."""
        course = course_visible_get(course_id=UUID(id))
        enrollment, created = enrollment_create(
            course=course, user=_viewer(request), role=Enrollment.Role.STUDENT
        )
        return Response(
            EnrollmentReadSerializer(enrollment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(parameters=[ID_PARAMETER], request=None, responses={204: None})
    @enroll.mapping.delete
    def unenroll(self, request: Request, id: str) -> Response:
        """Leave the course (students only; teachers are removed by an admin)."""
        course = course_visible_get(course_id=UUID(id))
        enrollment_delete(course=course, user=_viewer(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExerciseViewSet(viewsets.GenericViewSet[ExercisePage]):
    """Exercises the caller can practise: those of courses they are enrolled in."""

    queryset = ExercisePage.objects.none()  # for the schema only: reads go through selectors
    serializer_class = ExerciseReadSerializer
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    @extend_schema(parameters=[ExerciseFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = ExerciseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        exercises = exercise_list(
            viewer=_viewer(request),
            course_id=filters.validated_data.get("course"),
            lesson_id=filters.validated_data.get("lesson"),
            search=filters.validated_data.get("search") or None,
        )
        page = self.paginate_queryset(exercises)
        serializer = ExerciseReadSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(parameters=[ID_PARAMETER], responses=ExerciseDetailSerializer)
    def retrieve(self, request: Request, id: str) -> Response:
        exercise = exercise_get(viewer=_viewer(request), exercise_id=UUID(id))
        serializer = ExerciseDetailSerializer(exercise, context=self.get_serializer_context())
        return Response(serializer.data)


def register_api(router: BaseRouter) -> None:
    router.register("courses", CourseViewSet, basename="course")
    router.register("exercises", ExerciseViewSet, basename="exercise")
