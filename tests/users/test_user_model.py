"""The custom user: UUID primary key and a role, from the very first migration."""

import uuid
from importlib import import_module
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from practika_site.users.models import User
from tests.factories import UserFactory


def make_user(**kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    assert isinstance(user, User)
    return user


def test_the_project_user_model_is_practikas() -> None:
    assert get_user_model() is User


@pytest.mark.django_db
def test_user_has_a_uuid_pk_and_is_a_student_by_default() -> None:
    user = User.objects.create_user(username="newcomer", password="a-long-passphrase-1")
    assert isinstance(user.pk, uuid.UUID)
    assert user.role == User.Role.STUDENT
    assert User.objects.get(pk=str(user.pk)) == user


@pytest.mark.django_db
def test_factory_traits_set_roles() -> None:
    assert make_user(teacher=True).role == User.Role.TEACHER
    admin = make_user(admin=True)
    assert admin.role == User.Role.ADMIN
    assert admin.is_practika_admin


@pytest.mark.django_db
def test_superusers_count_as_practika_admins_whatever_their_role() -> None:
    root = User.objects.create_superuser(username="root", password="a-long-passphrase-1")
    assert root.role == User.Role.STUDENT
    assert root.is_practika_admin
    assert not make_user().is_practika_admin


def test_roles_are_the_three_of_the_design() -> None:
    assert [value for value, _ in User.Role.choices] == ["student", "teacher", "admin"]


def test_the_first_migration_creates_the_custom_user_with_a_uuid_pk() -> None:
    migration = import_module("practika_site.users.migrations.0001_initial").Migration
    assert migration.initial is True
    assert all(app != "users" for app, _ in migration.dependencies)
    created = [op for op in migration.operations if getattr(op, "name", None) == "User"]
    assert created, "0001_initial creates User"
    fields = dict(created[0].fields)
    assert isinstance(fields["id"], models.UUIDField)
    assert fields["id"].primary_key
    assert fields["role"].default == "student"


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    call_command("makemigrations", "users", "--check", "--dry-run", verbosity=0)
