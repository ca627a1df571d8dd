"""Markdown-lite: bold, code and http(s) links; everything else escaped, attacks included."""

import re

import pytest

from plugins.threads.markup import render_message_html, safe_link_url

REL = 'rel="nofollow noopener"'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("plain text", "plain text"),
        ("**bold**", "<strong>bold</strong>"),
        ("use `git status` now", "use <code>git status</code> now"),
        (
            "[the score](https://example.com/score.pdf)",
            f'<a href="https://example.com/score.pdf" {REL}>the score</a>',
        ),
        (
            "see http://example.com/a?b=1&c=2.",
            f'see <a href="http://example.com/a?b=1&amp;c=2" {REL}>'
            "http://example.com/a?b=1&amp;c=2</a>.",
        ),
        ("line one\nline two", "line one<br>line two"),
        ("**bold with `code`**", "<strong>bold with <code>code</code></strong>"),
        ("`**not bold**`", "<code>**not bold**</code>"),
        ("**unclosed", "**unclosed"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("(http://example.com)", f'(<a href="http://example.com" {REL}>http://example.com</a>)'),
    ],
)
def test_renders_the_few_things_it_knows(body: str, html: str) -> None:
    assert render_message_html(body) == html


XSS_ATTEMPTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(document.cookie))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](//evil.example/path)",
    "javascript:alert(1)",
    '[x](http://example.com/"onmouseover="alert(1))',
    '[x](http://example.com/?q="><script>alert(1)</script>)',
    'http://example.com/" onmouseover="alert(1)',
    "http://example.com/'onmouseover='alert(1)'",
    "**<script>alert(1)</script>**",
    "`</code><script>alert(1)</script>`",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "&lt;script&gt; already escaped",
    "[x](http://[::1)",
]


@pytest.mark.parametrize("body", XSS_ATTEMPTS)
def test_nothing_the_author_writes_becomes_markup(body: str) -> None:
    html = render_message_html(body)
    # Only our four tags appear, and a tag never carries anything but href and rel.
    tags = re.findall(r"<[^>]*>", html)
    for tag in tags:
        assert re.fullmatch(
            r'</?(strong|code|br)>|</a>|<a href="https?://[^"<>\s]+" rel="nofollow noopener">',
            tag,
        ), tag
    assert "<script" not in html
    for tag in tags:
        assert "onmouseover" not in tag
        assert "onerror" not in tag


def test_script_is_escaped_text() -> None:
    assert render_message_html("<script>alert(1)</script>") == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )


def test_a_javascript_link_stays_text() -> None:
    assert render_message_html("[click](javascript:alert(1))") == "[click](javascript:alert(1))"


def test_attribute_injection_in_a_bare_url_stops_at_the_quote() -> None:
    html = render_message_html('http://example.com/" onmouseover="alert(1)')
    assert html == (
        f'<a href="http://example.com/" {REL}>http://example.com/</a>'
        "&quot; onmouseover=&quot;alert(1)"
    )


def test_link_text_is_escaped() -> None:
    html = render_message_html("[<b>x</b>](https://example.com)")
    assert html == f'<a href="https://example.com" {REL}>&lt;b&gt;x&lt;/b&gt;</a>'


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com/a", True),
        ("HTTP://EXAMPLE.COM", True),
        ("ftp://example.com", False),
        ("javascript:alert(1)", False),
        ("http://", False),
        ("http://exa mple.com", False),
        ('http://example.com/"', False),
        ("http://example.com/<", False),
        ("http://[", False),
    ],
)
def test_safe_link_url(url: str, safe: bool) -> None:
    assert (safe_link_url(url) is not None) is safe
