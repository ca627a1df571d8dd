"""The Practika Python SDK: ``from practika import Practika``."""

from .client import Practika
from .errors import (
    AuthError,
    Conflict,
    NotFound,
    PractikaError,
    RateLimited,
    ServerError,
    ValidationError,
)

__all__ = [
    "AuthError",
    "Conflict",
    "NotFound",
    "Practika",
    "PractikaError",
    "RateLimited",
    "ServerError",
    "ValidationError",
]
