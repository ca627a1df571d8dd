"""The signals the feedback plugin sends, for plugins that react to feedback."""

from django.dispatch import Signal

feedback_published = Signal()
"""Sent once a feedback is published, after the publishing transaction has committed.

sender: ``Feedback``; kwargs: ``feedback`` (the published ``Feedback``; ``feedback.clip.owner``
is the student to tell). Sent at most once per feedback: publishing again is refused. Return
values are ignored; an exception in a receiver is logged and leaves the publish in place.
"""
