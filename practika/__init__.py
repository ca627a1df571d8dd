"""The Practika Python SDK: ``from practika import Practika``.

See ``practika.client`` for the client, ``practika.models`` for what it returns and
``practika.errors`` for what it raises; ``practika`` on the command line is ``practika.cli``.
"""

from .client import Practika
from .errors import (
    AuthError,
    Conflict,
    NotFound,
    PractikaError,
    ProcessingFailed,
    RateLimited,
    ServerError,
    ValidationError,
    WaitTimeout,
)
from .realtime import MESSAGE_EVENTS, EventStream

__all__ = [
    "MESSAGE_EVENTS",
    "AuthError",
    "Conflict",
    "EventStream",
    "NotFound",
    "Practika",
    "PractikaError",
    "ProcessingFailed",
    "RateLimited",
    "ServerError",
    "ValidationError",
    "WaitTimeout",
]
