from typing import Any

from factory import declarations, django, helpers

from practika_site.users.models import User

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = declarations.Sequence(lambda n: f"user{n}")
    email = declarations.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = User.Role.STUDENT

    class Params:
        teacher = declarations.Trait(role=User.Role.TEACHER)
        admin = declarations.Trait(role=User.Role.ADMIN, is_staff=True, is_superuser=True)

    @helpers.post_generation
    def password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save()


__all__ = ["TEST_PASSWORD", "UserFactory"]
