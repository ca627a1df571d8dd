from typing import Any

import factory
from django.conf import settings

from practika_site.users.models import User

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]  # untyped base
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = User.Role.STUDENT

    class Params:
        teacher = factory.Trait(role=User.Role.TEACHER)
        admin = factory.Trait(role=User.Role.ADMIN, is_staff=True, is_superuser=True)

    @factory.post_generation  # type: ignore[untyped-decorator]  # factory_boy is untyped
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save()


__all__ = ["TEST_PASSWORD", "UserFactory", "settings"]
