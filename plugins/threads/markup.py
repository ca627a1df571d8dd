"""Markdown-lite for thread messages: ``**bold**``, `` `code` ``, ``[text](url)`` and bare
http(s) URLs as links; everything else is escaped text, line breaks become ``<br>``.

Written small on purpose: every piece of output is either escaped text or one of four fixed
tags, and a link's URL must be http(s) with no character that could leave the attribute, so
there is no HTML the author controls (no sanitizer to trust).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

LINK_REL = "nofollow noopener"
MAX_LINK_CHARS = 2000

_INLINE = re.compile(
    r"""
    (?P<code>`(?P<code_text>[^`\n]+)`)
    | (?P<link>\[(?P<link_text>[^\[\]\n]{1,500})\]\((?P<link_url>[^()\s]{1,2000})\))
    | (?P<url>\bhttps?://[^\s<>"'`]+)
    | (?P<bold>\*\*(?P<bold_text>[^*\n]+)\*\*)
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Characters a bare URL rarely ends with, but the sentence around it often does.
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
# Anything outside this set keeps a URL from becoming a link (it stays text).
_SAFE_URL = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+$")


def render_message_html(body: str) -> str:
    """The HTML of a message body; safe to insert into a page as is."""
    return "<br>".join(_render_inline(line) for line in body.split("\n"))


def safe_link_url(url: str) -> str | None:
    """``url`` when it is an absolute http(s) URL fit for an ``href``, else None."""
    if len(url) > MAX_LINK_CHARS or not _SAFE_URL.match(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[" and friends
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url, quote=True)}" rel="{LINK_REL}">{escape(text)}</a>'


def _render_inline(text: str, *, in_bold: bool = False) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[position : match.start()]))
        position = match.end()
        if match["code"]:
            out.append(f"<code>{escape(match['code_text'])}</code>")
        elif match["link"]:
            url = safe_link_url(match["link_url"])
            out.append(_link(url, match["link_text"]) if url else escape(match["link"]))
        elif match["url"]:
            raw = match["url"]
            stripped = raw.rstrip(_TRAILING_PUNCTUATION)
            url = safe_link_url(stripped)
            out.append(
                (_link(url, url) if url else escape(stripped)) + escape(raw[len(stripped) :])
            )
        elif in_bold:  # no bold inside bold: the asterisks are text
            out.append(escape(match["bold"]))
        else:
            out.append(f"<strong>{_render_inline(match['bold_text'], in_bold=True)}</strong>")
    out.append(escape(text[position:]))
    return "".join(out)
