from rest_framework import status

from practika_site.core.errors import Conflict, PractikaError


class MessageDeleted(Conflict):
    code = "message_deleted"
    default_message = "This message was deleted."


class RateLimited(PractikaError):
    code = "rate_limited"
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = "Too many messages; wait a moment before sending more."
