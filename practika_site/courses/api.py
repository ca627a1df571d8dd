from rest_framework.routers import BaseRouter


def register_api(router: BaseRouter) -> None:
    """Courses and exercises (filled in by the courses app)."""
