from practika_site.core.errors import Conflict, InvalidInput


class FeedbackAlreadyPublished(Conflict):
    code = "feedback_already_published"
    default_message = "This feedback is published already."


class FeedbackEmpty(Conflict):
    code = "feedback_empty"
    default_message = "Write a summary, score the rubric, add a marker or a video reply first."


class ClipNotATake(InvalidInput):
    code = "clip_not_a_take"
    default_message = "Feedback is given on practice takes only."


class ClipNotReviewable(Conflict):
    code = "clip_not_reviewable"
    default_message = "The take is not processed yet; give feedback once it can be played."


class TooManyMarkers(Conflict):
    code = "too_many_markers"
