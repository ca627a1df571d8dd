"""The feedback plugin's choice sets, in a module without models.

The OpenAPI settings name their enums by import path (``ENUM_NAME_OVERRIDES``); importing this
module works whether or not the plugin is installed, so naming them never breaks the schema.
"""

from django.db import models


class FeedbackStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class MarkerKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    PRAISE = "praise", "Praise"
    FIX = "fix", "Fix"
    DRAWING = "drawing", "Drawing"
