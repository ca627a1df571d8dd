"""Demo data for ``make dev``: users, a published course tree and enrollments.

Idempotent: users are found by username and pages by slug under their parent; what exists is
left as it is (passwords included), only what is missing is created. Pages are published
through revisions, as an author would. Every exercise gets a short reference video made with
ffmpeg (a test pattern and a tone) as a Wagtail document, set before the revision that
publishes it; the media pipeline (the clips plugin, on ``page_published``) processes it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.models import GroupPagePermission, Page, Site

from huey_tasks.media.ffmpeg import run_ffmpeg
from practika_site.core.errors import PractikaError
from practika_site.courses.models import (
    CourseIndexPage,
    CoursePage,
    Enrollment,
    ExercisePage,
    LessonPage,
    ModulePage,
    RubricCriterion,
)
from practika_site.courses.services import enrollment_create, page_add
from practika_site.users.models import User

MODERATORS = "Moderators"
MODERATOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")
REFERENCE_SECONDS = 6
REFERENCE_SIZE = "640x360"
REFERENCE_TITLE = "Reference: {title}"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: User.Role
    superuser: bool = False
    moderator: bool = False


@dataclass(frozen=True)
class DemoExercise:
    title: str
    instructions: str
    target_duration_sec: int
    max_takes: int | None
    criteria: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class DemoLesson:
    title: str
    intro: str
    exercises: tuple[DemoExercise, ...]


@dataclass(frozen=True)
class DemoModule:
    title: str
    summary: str
    lessons: tuple[DemoLesson, ...]


USERS = (
    DemoUser("student", User.Role.STUDENT),
    DemoUser("student2", User.Role.STUDENT),
    DemoUser("teacher", User.Role.TEACHER),
    DemoUser("author", User.Role.TEACHER, moderator=True),
    DemoUser("admin", User.Role.ADMIN, superuser=True),
)
ENROLLMENTS = (
    ("student", Enrollment.Role.STUDENT),
    ("student2", Enrollment.Role.STUDENT),
    ("teacher", Enrollment.Role.TEACHER),
)

INDEX_SLUG = "courses"
COURSE_SLUG = "guitar-foundations"
COURSE_TITLE = "Guitar foundations"
COURSE_SUMMARY = "Posture, tuning and your first chords, practised on camera with feedback."
COURSE_DESCRIPTION = (
    "<p>Four short lessons take you from holding the guitar to changing chords in time. "
    "Record a take for each exercise; your teacher scores it against the rubric and marks "
    "the moments to work on.</p>"
)
TIMING = ("Timing", "Changes land on the beat; no gaps or rushing.", 5)
CLEAN_NOTES = ("Clean notes", "Every string rings; no buzzing or muted strings.", 5)
POSTURE = ("Posture", "Relaxed shoulders, straight wrist, guitar stays put.", 5)

CURRICULUM = (
    DemoModule(
        "Posture and tuning",
        "<p>Set up your body and your instrument before you play a note.</p>",
        (
            DemoLesson(
                "Holding the guitar",
                "<p>Sit on the front half of the chair, guitar body on your right thigh.</p>",
                (
                    DemoExercise(
                        "Show your playing position",
                        "<p>Film yourself from the front, sit down with the guitar and hold "
                        "the playing position for the whole take. Say what you check.</p>",
                        45,
                        3,
                        (POSTURE, ("Hand position", "Thumb behind the neck, fingers curved.", 5)),
                    ),
                ),
            ),
            DemoLesson(
                "Tuning by ear",
                "<p>Tune the low E string to a reference, then every string to the one "
                "below it using the fifth-fret method.</p>",
                (
                    DemoExercise(
                        "Tune all six strings",
                        "<p>Start slightly out of tune and tune every string on camera, "
                        "playing each pair of strings so we can hear it.</p>",
                        120,
                        None,
                        (("Accuracy", "Every string ends in tune with its neighbour.", 10),),
                    ),
                    DemoExercise(
                        "Check your tuning with chords",
                        "<p>Strum an open E major and an open A major chord, four times each.</p>",
                        30,
                        5,
                        (CLEAN_NOTES,),
                    ),
                ),
            ),
        ),
    ),
    DemoModule(
        "First chords",
        "<p>E minor, G and the first chord changes.</p>",
        (
            DemoLesson(
                "E minor and G",
                "<p>Two shapes that share fingers: learn both and the move between them.</p>",
                (
                    DemoExercise(
                        "Play E minor, then G",
                        "<p>Strum four beats of E minor, then four of G, twice through.</p>",
                        40,
                        3,
                        (CLEAN_NOTES, POSTURE),
                    ),
                ),
            ),
            DemoLesson(
                "Changing chords in time",
                "<p>Use a metronome at 60 bpm and change on the first beat of each bar.</p>",
                (
                    DemoExercise(
                        "One-minute change drill",
                        "<p>Alternate E minor and G every bar for one minute at 60 bpm.</p>",
                        60,
                        None,
                        (TIMING, CLEAN_NOTES),
                    ),
                    DemoExercise(
                        "Strumming pattern",
                        "<p>Play down, down-up, up-down-up over the E minor to G change.</p>",
                        60,
                        5,
                        (TIMING, ("Feel", "The pattern grooves and stays steady.", 5)),
                    ),
                ),
            ),
        ),
    ),
)


class Command(BaseCommand):
    help = "Create the demo users, course and enrollments (idempotent; refuses with DEBUG off)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates known passwords; with DEBUG off pass --force.")
        with transaction.atomic():
            users = {spec.username: self._user(spec) for spec in USERS}
            index = self._index(author=users["author"])
            course = self._course(index=index, author=users["author"])
            for username, role in ENROLLMENTS:
                self._enroll(course=course, user=users[username], role=role)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _say(self, created: bool, what: str) -> None:
        self.stdout.write(f"{'created' if created else 'exists '}  {what}")

    # --- users ------------------------------------------------------------------------------
    def _user(self, spec: DemoUser) -> User:
        user = User.objects.filter(username=spec.username).first()
        created = user is None
        if user is None:
            user = User(username=spec.username, email=f"{spec.username}@example.com")
            user.set_password(settings.PRACTIKA_DEMO_PASSWORD)
        wanted = {"role": spec.role, "is_staff": spec.superuser, "is_superuser": spec.superuser}
        if created or any(getattr(user, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(user, name, value)
            user.save()
        if spec.moderator:
            user.groups.add(_moderators_group())
        self._say(created, f"user {spec.username} ({spec.role})")
        return user

    # --- pages ------------------------------------------------------------------------------
    def _index(self, *, author: User) -> CourseIndexPage:
        root = Page.get_first_root_node()
        index = CourseIndexPage.objects.child_of(root).filter(slug=INDEX_SLUG).first()
        created = index is None
        if index is None:
            index = page_add(
                parent=root,
                page=CourseIndexPage(
                    title="Courses",
                    slug=INDEX_SLUG,
                    intro="<p>Practise a skill on video and get feedback from a teacher.</p>",
                ),
                user=author,
            )
        self._say(created, "page Courses (catalog, site home)")
        self._make_site_root(index)
        return index

    def _make_site_root(self, index: CourseIndexPage) -> None:
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=index,
                is_default_site=True,
                site_name=settings.WAGTAIL_SITE_NAME,
            )
            self._say(True, "default site")
            return
        if site.root_page_id == index.pk:
            return
        previous_root = site.root_page
        site.root_page = index
        site.save()
        self.stdout.write("updated  default site: home is now the course catalog")
        if _is_wagtail_welcome_page(previous_root):
            previous_root.delete()
            self.stdout.write("deleted  Wagtail's welcome page")

    def _child(self, parent: Page, page: Any, *, author: User) -> Any:
        page.slug = page.slug or slugify(page.title)
        existing = type(page).objects.child_of(parent).filter(slug=page.slug).first()
        self._say(existing is None, f"page {page.title}")
        if existing is not None:
            return existing
        return page_add(parent=parent, page=page, user=author)

    def _course(self, *, index: CourseIndexPage, author: User) -> CoursePage:
        course = CoursePage(
            title=COURSE_TITLE,
            slug=COURSE_SLUG,
            summary=COURSE_SUMMARY,
            description=COURSE_DESCRIPTION,
            level=CoursePage.Level.BEGINNER,
        )
        course = self._child(index, course, author=author)
        for module_spec in CURRICULUM:
            module = self._child(
                course,
                ModulePage(title=module_spec.title, summary=module_spec.summary),
                author=author,
            )
            for lesson_spec in module_spec.lessons:
                lesson = self._child(
                    module,
                    LessonPage(title=lesson_spec.title, intro=lesson_spec.intro),
                    author=author,
                )
                for number, exercise_spec in enumerate(lesson_spec.exercises):
                    self._exercise(lesson, exercise_spec, author=author, tone=440 + 110 * number)
        return course

    def _exercise(self, lesson: LessonPage, spec: DemoExercise, *, author: User, tone: int) -> None:
        """The exercise with its reference video, published in one revision; an existing
        exercise without a reference gets one in a new revision."""
        page = _exercise(spec)
        page.slug = slugify(page.title)
        existing = ExercisePage.objects.child_of(lesson).filter(slug=page.slug).first()
        self._say(existing is None, f"page {page.title}")
        if existing is None:
            page.reference_video = self._reference_document(spec.title, author=author, tone=tone)
            page_add(parent=lesson, page=page, user=author)
        elif existing.reference_video_id is None:
            existing.reference_video = self._reference_document(
                spec.title, author=author, tone=tone
            )
            existing.save_revision(user=author, log_action=True).publish(user=author)

    def _reference_document(self, exercise_title: str, *, author: User, tone: int) -> Any:
        title = REFERENCE_TITLE.format(title=exercise_title)
        document_model = get_document_model()
        document = document_model.objects.filter(title=title).first()
        self._say(document is None, f"reference video {title!r}")
        if document is not None:
            return document
        with tempfile.TemporaryDirectory(prefix="practika-seed-") as work:
            path = _make_reference_video(Path(work) / f"{slugify(exercise_title)}.mp4", tone=tone)
            with path.open("rb") as handle:
                document = document_model(title=title, uploaded_by_user=author)
                document.file.save(path.name, File(handle), save=False)
                document._set_document_file_metadata()  # size and hash, as the admin's upload
                document.save()
        return document

    def _enroll(self, *, course: CoursePage, user: User, role: Enrollment.Role) -> None:
        try:
            _, created = enrollment_create(course=course, user=user, role=role)
        except PractikaError as exc:
            self.stderr.write(f"skipped  enrollment of {user.username}: {exc.message}")
            return
        self._say(created, f"enrollment {user.username} as {role} in {course.title}")


def _exercise(spec: DemoExercise) -> ExercisePage:
    exercise = ExercisePage(
        title=spec.title,
        instructions=spec.instructions,
        target_duration_sec=spec.target_duration_sec,
        max_takes=spec.max_takes,
    )
    # Assigned before the first save, so the criteria go into the first revision too.
    exercise.rubric_criteria = [
        RubricCriterion(name=name, description=description, max_score=max_score)
        for name, description, max_score in spec.criteria
    ]
    return exercise


def _make_reference_video(path: Path, *, tone: int) -> Path:
    """A few seconds of H.264/AAC MP4: ffmpeg's moving test pattern and a sine tone."""
    seconds = REFERENCE_SECONDS
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={REFERENCE_SIZE}:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={tone}:sample_rate=48000:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "60",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        timeout=120,
        duration=seconds,
    )
    return path


def _is_wagtail_welcome_page(page: Page) -> bool:
    """The placeholder home page Wagtail's migrations create (a bare page, no children)."""
    return bool(
        page.specific_class is Page
        and page.depth == 2
        and page.numchild == 0
        and page.slug == "home"
    )


def _moderators_group() -> Group:
    """Wagtail's Moderators group, with admin access and publishing rights on the whole
    tree (its migrations grant these; put back here if someone removed them)."""
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    root = Page.get_first_root_node()
    page_type = ContentType.objects.get_for_model(Page)
    for codename in MODERATOR_PAGE_PERMISSIONS:
        permission = Permission.objects.get(content_type=page_type, codename=codename)
        GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)
    return group
