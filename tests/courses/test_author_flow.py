"""An author publishes a lesson with an exercise in the Wagtail admin; a student practises it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from practika_site.courses.models import ExercisePage, LessonPage, ModulePage
from practika_site.users.models import User
from tests.courses.factories import CourseTree, assert_error
from tests.factories import TEST_PASSWORD

ClientFor = Callable[[User], APIClient]


@pytest.fixture
def author(db: None) -> User:
    """A teacher in Wagtail's Moderators group, as seed_demo makes the demo author."""
    user = User.objects.create_user(
        username="author", password=TEST_PASSWORD, role=User.Role.TEACHER
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def author_client(author: User) -> Client:
    client = Client()
    assert client.login(username=author.username, password=TEST_PASSWORD)
    return client


def _add_page(client: Client, model: type[Any], parent_pk: int, data: dict[str, Any]) -> Any:
    url = reverse("wagtailadmin_pages:add", args=["courses", model._meta.model_name, parent_pk])
    form = nested_form_data({**data, "comments": inline_formset([])})
    response = client.post(url, {**form, "action-publish": "action-publish"})
    assert response.status_code == 302, response.context["form"].errors
    return model.objects.get(slug=data["slug"])


@pytest.mark.django_db
def test_author_publishes_and_student_practises(
    tree: CourseTree,
    author: User,
    author_client: Client,
    student: User,
    client_for: ClientFor,
) -> None:
    module = tree.modules[1]
    assert module.permissions_for_user(author).can_publish_subpage()
    assert author_client.get("/cms/").status_code == 200

    lesson = _add_page(
        author_client,
        LessonPage,
        module.pk,
        {"title": "Arpeggios", "slug": "arpeggios", "intro": rich_text("<p>Broken chords.</p>")},
    )
    exercise = _add_page(
        author_client,
        ExercisePage,
        lesson.pk,
        {
            "title": "Arpeggio in C",
            "slug": "arpeggio-in-c",
            "instructions": rich_text("<p>Play <b>C E G</b> up and down.</p>"),
            "target_duration_sec": "45",
            "max_takes": "",
            "rubric_criteria": inline_formset(
                [{"name": "Evenness", "description": "All notes equal.", "max_score": "10"}]
            ),
        },
    )
    assert lesson.live
    assert exercise.live
    assert exercise.live_revision.user == author
    assert [c.name for c in exercise.rubric_criteria.all()] == ["Evenness"]

    client = client_for(student)
    exercise_url = f"/api/v1/exercises/{exercise.uuid}/"
    assert_error(client.get(exercise_url), 404, "not_found")
    assert client.post(f"/api/v1/courses/{tree.course.uuid}/enroll/").status_code == 201

    ids = {item["id"] for item in client.get("/api/v1/exercises/?page_size=200").json()["results"]}
    assert str(exercise.uuid) in ids
    detail = client.get(exercise_url).json()
    assert detail["max_takes"] is None
    assert detail["lesson"] == {"id": str(lesson.uuid), "title": "Arpeggios"}
    assert detail["rubric_criteria"][0]["max_score"] == 10
    assert Client().get(exercise.url).status_code == 200


@pytest.mark.django_db
def test_admin_form_rejects_bad_exercise_values(tree: CourseTree, author_client: Client) -> None:
    url = reverse("wagtailadmin_pages:add", args=["courses", "exercisepage", tree.lessons[0].pk])
    form = nested_form_data(
        {
            "title": "Bad",
            "slug": "bad",
            "instructions": rich_text("<p>x</p>"),
            "target_duration_sec": "0",
            "max_takes": "0",
            "comments": inline_formset([]),
            "rubric_criteria": inline_formset([{"name": "X", "description": "", "max_score": "0"}]),
        }
    )
    response = author_client.post(url, {**form, "action-publish": "action-publish"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"target_duration_sec", "max_takes"} <= set(errors)
    assert not ExercisePage.objects.filter(slug="bad").exists()


@pytest.mark.django_db
def test_author_cannot_put_an_exercise_under_a_module(
    tree: CourseTree, author_client: Client
) -> None:
    url = reverse("wagtailadmin_pages:add", args=["courses", "exercisepage", tree.modules[0].pk])
    form = nested_form_data(
        {"title": "Misplaced", "slug": "misplaced", "instructions": rich_text("<p>x</p>")}
    )
    response = author_client.post(url, {**form, "action-publish": "action-publish"})
    assert response.status_code == 302
    assert response["Location"] == "/cms/"
    assert not ExercisePage.objects.filter(slug="misplaced").exists()
    assert ModulePage.objects.count() == 2


@pytest.mark.django_db
def test_preview_shows_unsaved_rubric_changes(tree: CourseTree, author_client: Client) -> None:
    exercise = tree.exercises[0]
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[exercise.pk])
    form = nested_form_data(
        {
            "title": "Previewed title",
            "slug": exercise.slug,
            "instructions": rich_text("<p>Draft task.</p>"),
            "target_duration_sec": "30",
            "max_takes": "2",
            "comments": inline_formset([]),
            "rubric_criteria": inline_formset(
                [{"name": "Draft criterion", "description": "", "max_score": "4"}]
            ),
        }
    )
    assert author_client.post(url, form).json()["is_valid"]
    html = author_client.get(url).content.decode()
    assert "Previewed title" in html
    assert "Draft criterion" in html
    assert "Up to 2" in html
    exercise.refresh_from_db()
    assert exercise.title != "Previewed title"  # nothing was saved


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model_name", "fields"),
    [
        ("coursepage", {"summary": "New", "level": "beginner", "description": rich_text("")}),
        ("modulepage", {"summary": rich_text("<p>New module.</p>")}),
    ],
)
def test_preview_of_a_page_not_created_yet(
    tree: CourseTree, author_client: Client, model_name: str, fields: dict[str, Any]
) -> None:
    parent = tree.course.get_parent() if model_name == "coursepage" else tree.course
    url = reverse("wagtailadmin_pages:preview_on_add", args=["courses", model_name, parent.pk])
    form = nested_form_data(
        {"title": "Brand new", "slug": "brand-new", "comments": inline_formset([]), **fields}
    )
    assert author_client.post(url, form).json()["is_valid"]
    response = author_client.get(url)
    assert response.status_code == 200
    assert "Brand new" in response.content.decode()


def test_author_attaches_a_reference_video_document(
    tree: CourseTree, author_client: Client
) -> None:
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    exercise = tree.exercises[0]
    edit = reverse("wagtailadmin_pages:edit", args=[exercise.pk])
    assert 'name="reference_video"' in author_client.get(edit).content.decode()
    document = get_document_model().objects.create(
        title="Scale, slowly", file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="scale.mp4")
    )
    exercise.reference_video = document
    exercise.save_revision().publish()
    exercise.refresh_from_db()
    assert exercise.reference_video == document
