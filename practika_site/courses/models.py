"""The curriculum as Wagtail pages, and who is in which course.

``CourseIndexPage > CoursePage > ModulePage > LessonPage > ExercisePage``. Pages keep Wagtail's
integer key; the API identifies them by their ``uuid``. Reads and visibility rules live in
``selectors.py``, writes in ``services.py``; the pages here only declare content and render.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from modelcluster.fields import ParentalKey
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .panels import PluginStatusPanel

if TYPE_CHECKING:
    from wagtail.url_routing import RouteResult

# A module with one of these slugs would be shadowed by the course's own routes.
COURSE_ROUTE_SLUGS = frozenset({"enroll", "leave"})
MAX_TARGET_DURATION_SEC = 60 * 60  # the media pipeline refuses longer takes
CATALOG_PAGE_SIZE = 24


class UUIDPage(Page):
    """A page with a stable public id, kept across revisions, copies and aliases."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # A copy is a new page, so it gets a new id (the field default).
    exclude_fields_in_copy = ["uuid"]

    class Meta:
        abstract = True

    def with_content_json(self, content: dict[str, Any]) -> Any:
        # The id belongs to the page, not to a revision: aliases are updated from another
        # page's content, and copied revisions hold the source page's id.
        obj = super().with_content_json(content)
        obj.uuid = self.uuid
        return obj

    def save(self, *args: Any, **kwargs: Any) -> Any:
        if self._state.adding and self.alias_of_id is not None:
            # create_alias copies every field except a fixed list that cannot be extended.
            self.uuid = uuid.uuid4()
        return super().save(*args, **kwargs)


class CourseTreePage(UUIDPage):
    """A page inside a course: an unpublished page hides everything below it."""

    class Meta:
        abstract = True

    def route(self, request: HttpRequest, path_components: list[str]) -> RouteResult:
        # Wagtail serves a live page under an unpublished parent; a course, module or
        # lesson taken offline takes its whole subtree with it (the API does the same).
        if path_components and not self.live:
            raise Http404
        return super().route(request, path_components)


class CourseIndexPage(UUIDPage):
    """The course catalog; the site's home page."""

    intro = RichTextField(blank=True, help_text="Shown above the catalog on the home page.")

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CoursePage"]

    search_fields = [*Page.search_fields, index.SearchField("intro")]
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = "course index page"

    @classmethod
    def can_create_at(cls, parent: Page) -> bool:
        # "wagtailcore.Page" would also allow any plain page; a catalog sits under the root.
        return bool(super().can_create_at(parent) and parent.is_root())

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import course_list

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        courses = course_list(viewer=request.user, index=self)
        context["courses"] = Paginator(courses, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
        context["my_courses"] = (
            list(courses.filter(enrolled_as__isnull=False)) if request.user.is_authenticated else []
        )
        return context


class CoursePage(RoutablePageMixin, CourseTreePage):
    """A course: its overview, its modules, and enrollment for students."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    summary = models.CharField(
        max_length=300, help_text="One or two sentences for the course card and the API."
    )
    description = RichTextField(blank=True, help_text="The full overview on the course page.")
    level = models.CharField(
        max_length=16,
        choices=Level.choices,
        default=Level.BEGINNER,
        help_text="Who the course is for.",
    )

    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.ModulePage"]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("level"),
    ]
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("level"),
        FieldPanel("description"),
    ]

    class Meta:
        verbose_name = "course page"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import course_outline, enrollment_for

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context["outline"] = course_outline(course=self)
        context["enrollment"] = enrollment_for(viewer=request.user, course=self)
        return context

    @path("enroll/")
    def enroll(self, request: HttpRequest) -> HttpResponse:
        from .views import course_enroll

        return course_enroll(request, course=self)

    @path("leave/")
    def leave(self, request: HttpRequest) -> HttpResponse:
        from .views import course_leave

        return course_leave(request, course=self)


class ModulePage(CourseTreePage):
    """A part of a course, grouping lessons."""

    summary = RichTextField(blank=True, help_text="What the module covers and why.")

    parent_page_types = ["courses.CoursePage"]
    subpage_types = ["courses.LessonPage"]

    search_fields = [*Page.search_fields, index.SearchField("summary")]
    content_panels = [*Page.content_panels, FieldPanel("summary")]

    class Meta:
        verbose_name = "module page"

    def clean(self) -> None:
        super().clean()
        if self.slug in COURSE_ROUTE_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is reserved by the course page."})

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import page_children, page_navigation

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context["navigation"] = page_navigation(page=self)
        context["children"] = page_children(page=self)
        return context


class LessonPage(CourseTreePage):
    """One lesson: an introduction and the exercises to practise."""

    intro = RichTextField(blank=True, help_text="The lesson itself: explanation, tips, links.")

    parent_page_types = ["courses.ModulePage"]
    subpage_types = ["courses.ExercisePage"]

    search_fields = [*Page.search_fields, index.SearchField("intro")]
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = "lesson page"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import page_children, page_navigation

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context["navigation"] = page_navigation(page=self)
        context["children"] = page_children(page=self)
        return context


class ExercisePage(CourseTreePage):
    """A task students record takes for; the practice room."""

    instructions = RichTextField(help_text="What to record, and what a good take looks like.")
    target_duration_sec = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_DURATION_SEC)],
        help_text="How long a take should be, in seconds.",
    )
    max_takes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How many takes a student may submit. Leave empty for unlimited.",
    )
    # The teacher's model performance. The clips plugin turns it into HLS like a take (the
    # core never imports a plugin, so the slot is a plain Wagtail document here).
    reference_video = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A video of the exercise done well (MP4, MOV, WebM or MKV).",
    )

    parent_page_types = ["courses.LessonPage"]
    subpage_types: list[str] = []

    search_fields = [*Page.search_fields, index.SearchField("instructions")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("instructions"),
        FieldPanel("target_duration_sec"),
        FieldPanel("max_takes"),
        FieldPanel("reference_video"),
        PluginStatusPanel(heading="Reference video status"),
        InlinePanel(
            "rubric_criteria",
            label="Rubric criteria",
            help_text="What teachers score a take on.",
            max_num=20,
        ),
    ]

    class Meta:
        verbose_name = "exercise page"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_duration_sec__gte=1)
                & models.Q(target_duration_sec__lte=MAX_TARGET_DURATION_SEC),
                name="courses_exercise_target_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_takes__isnull=True) | models.Q(max_takes__gte=1),
                name="courses_exercise_max_takes_positive",
            ),
        ]

    @property
    def unlimited_takes(self) -> bool:
        return self.max_takes is None

    @property
    def target_duration_display(self) -> str:
        minutes, seconds = divmod(int(self.target_duration_sec), 60)
        return f"{minutes}:{seconds:02d}"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import enrollment_for, is_course_admin, page_navigation

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        navigation = page_navigation(page=self)
        enrollment = (
            enrollment_for(viewer=request.user, course=navigation.course)
            if navigation.course is not None
            else None
        )
        context["navigation"] = navigation
        # Works in previews too: an unsaved revision's criteria live on the page object.
        context["criteria"] = list(self.rubric_criteria.all())
        context["enrollment"] = enrollment
        context["can_practice"] = enrollment is not None or is_course_admin(request.user)
        # Plugins fill the practice room (the core never imports them): each hook is
        # ``(request, page) -> str | None``, the HTML of one panel or None to add nothing.
        panels = [panel(request, self) for panel in hooks.get_hooks("practika_exercise_panels")]
        context["panels"] = [html for html in panels if html]
        return context


class RubricCriterion(Orderable):
    """One scored criterion of an exercise's rubric.

    Keeps an integer primary key: modelcluster's inline formsets and revision restore treat
    the pk as "is this row saved yet", which a defaulted UUID primary key breaks. Wagtail may
    also give a criterion a new pk when a page is republished from a revision, so other
    models refer to a criterion by ``uuid``, never by ``pk``.
    """

    page = ParentalKey(ExercisePage, on_delete=models.CASCADE, related_name="rubric_criteria")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120, help_text="Short label, e.g. “Timing”.")
    description = models.TextField(blank=True, help_text="What earns full marks.")
    max_score = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The highest score a teacher can give (1-100).",
    )

    panels = [FieldPanel("name"), FieldPanel("description"), FieldPanel("max_score")]

    class Meta(Orderable.Meta):
        verbose_name = "rubric criterion"
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1), name="courses_rubric_max_score_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Wagtail copies child rows field by field (page copies, aliases) and restores them
        # from revisions that may carry another page's criteria, so the uuid in hand can
        # belong to another row: keep this row's stored uuid, or mint one for a new row.
        others = RubricCriterion.objects.filter(uuid=self.uuid)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        if others.exists():
            stored = None
            if self.pk is not None:
                stored = (
                    RubricCriterion.objects.filter(pk=self.pk)
                    .values_list("uuid", flat=True)
                    .first()
                )
            self.uuid = stored or uuid.uuid4()
        super().save(*args, **kwargs)


class Enrollment(models.Model):
    """Who is in a course, and as what. Admins enroll teachers; students enroll themselves."""

    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        TEACHER = "teacher", "Teacher"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="courses_enrollment_unique"),
        ]
        indexes = [models.Index(fields=["user", "role"], name="courses_enrollment_user_role")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} as {self.role}"

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER
