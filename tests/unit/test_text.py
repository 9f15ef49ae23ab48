"""services.posts.text: mentions, hashtags, links, Mastodon length and safe HTML rendering."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from services.posts.text import URL_LENGTH, length, parse, render_html

BASE = "https://hub.example"
ALLOWED_TAGS = {"p", "br", "a", "span"}


class _Collector(HTMLParser):
    """Records every tag (with attributes) and the decoded text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain(self) -> str:
        return "".join(self.text)


def safe_html(markup: str) -> _Collector:
    """Parse ``markup`` and assert that nothing the author typed became active markup."""
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {markup!r}"
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name} in {markup!r}"
            if name.lower() in {"href", "src"}:
                assert value is not None
                assert not value.strip().lower().startswith("javascript:"), markup
                assert value.startswith(("http://", "https://")), markup
    return collector


def render(text: str, known: dict[str, str] | None = None, domain: str = "acme.test") -> str:
    """``known`` maps usernames to profile URLs; every known account is in ``domain``."""
    mentions = {name: (url, domain) for name, url in (known or {}).items()}
    return render_html(text, base_url=BASE, known_mentions=mentions)


# --- parse: mentions ------------------------------------------------------------------------


def test_parse_finds_local_and_remote_mentions() -> None:
    parsed = parse("hi @alice and @bob@example.com!")
    assert parsed.mentions == [("alice", None), ("bob", "example.com")]


def test_parse_mention_with_subdomain_and_trailing_punctuation() -> None:
    parsed = parse("ping @carol@mail.corp.example.co.uk.")
    assert parsed.mentions == [("carol", "mail.corp.example.co.uk")]


@pytest.mark.parametrize(
    "text",
    [
        "write to mail@example.com",
        "first.last@example.com",
        "a_b@example.com",
        "see https://example.com/@alice",
        "see https://example.com/x?user=@alice",  # '=' is no word char: only the URL check helps
    ],
)
def test_parse_ignores_email_addresses_and_mentions_in_urls(text: str) -> None:
    assert parse(text).mentions == []


def test_parse_mentions_are_unique_case_insensitively_in_first_seen_order() -> None:
    parsed = parse("@Bob @alice @bob @ALICE")
    assert parsed.mentions == [("Bob", None), ("alice", None)]


def test_parse_mention_at_start_of_line_and_after_punctuation() -> None:
    parsed = parse("@alice\n(@bob) \u201c@carol\u201d")
    assert [name for name, _ in parsed.mentions] == ["alice", "bob", "carol"]


# --- parse: hashtags ------------------------------------------------------------------------


def test_parse_finds_unicode_hashtags_lower_cased() -> None:
    parsed = parse("Lunch at the #Caf\u00e9 in #\u65e5\u672c\u8a9e, #Python #\u00c9T\u00c9")
    assert parsed.tags == ["caf\u00e9", "\u65e5\u672c\u8a9e", "python", "\u00e9t\u00e9"]


def test_parse_hashtags_are_unique_case_insensitively() -> None:
    assert parse("#Python #python #PYTHON #rust").tags == ["python", "rust"]


@pytest.mark.parametrize("text", ["#123", "issue #42 is fixed", "#2025"])
def test_parse_purely_numeric_hashtag_is_not_a_tag(text: str) -> None:
    assert parse(text).tags == []


def test_parse_hashtag_with_digits_and_a_letter_is_a_tag() -> None:
    assert parse("#2025goals #v2").tags == ["2025goals", "v2"]


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/#fragment",
        "https://example.com/page#section",
        "https://example.com/a-#dash",  # only the URL span check keeps this one out
        "https://example.com/?q=x&y=(#paren)",
        "a&#x27;b",  # an HTML character reference typed as text
        "foo#bar",
    ],
)
def test_parse_hashtags_inside_urls_or_words_are_not_tags(text: str) -> None:
    assert parse(text).tags == []


def test_parse_hashtag_next_to_a_url_is_a_tag() -> None:
    parsed = parse("read https://example.com/#frag #real")
    assert parsed.tags == ["real"]
    assert parsed.urls == ["https://example.com/#frag"]


# --- parse: urls ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("see https://example.com/a.", ["https://example.com/a"]),
        ("(https://example.com/a)", ["https://example.com/a"]),
        ("HTTP://EXAMPLE.COM/X, http://b.example/y?z=1", ["HTTP://EXAMPLE.COM/X",
                                                          "http://b.example/y?z=1"]),
        ('<a href="https://example.com/x">', ["https://example.com/x"]),
        ("javascript:alert(1) ftp://example.com/file", []),
    ],
)
def test_parse_urls(text: str, urls: list[str]) -> None:
    assert parse(text).urls == urls


# --- length ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("\u65e5\u672c\u8a9e", 3),
        ("https://example.com/" + "a" * 200, URL_LENGTH),
        ("http://a.b", URL_LENGTH),
        ("see https://example.com/", 4 + URL_LENGTH),
        ("https://a.example/x https://b.example/" + "y" * 100, 2 * URL_LENGTH + 1),
        ("@user@example.com", len("@user")),
        ("hi @alice@sub.example.co.uk!", len("hi @alice!")),
        ("@alice", len("@alice")),
        ("mail@example.com", len("mail@example.com")),  # not a mention: counted in full
        ("hi @bob@example.com https://example.com/long/path", 3 + 4 + 1 + URL_LENGTH),
    ],
)
def test_length_counts_as_mastodon_does(text: str, expected: int) -> None:
    assert length(text) == expected
    assert URL_LENGTH == 23


def test_length_does_not_shorten_short_text_by_url_rule() -> None:
    # A URL shorter than 23 characters still counts as 23.
    assert length("http://ab.cd") == 23


# --- render_html: escaping ------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "'><b onmouseover=alert(1)>x</b>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<p onclick=alert(1)>para</p>",
    "<!-- comment --> <![CDATA[x]]> <?php echo 1; ?>",
    'https://example.com/a"onmouseover="alert(1)',
    "https://example.com/a'onmouseover='alert(1)",
    "https://example.com/<img src=x onerror=alert(1)>",
    "https://example.com/?q=<script>alert(1)</script>",
    "https://example.com/&quot;onmouseover=alert(1)",
    'https://example.com/" style="x:expression(alert(1))',
    "#tag<script>alert(1)</script> @alice<img src=x onerror=alert(1)>",
    'https://example.com/#"onmouseover=alert(1) #x"y @alice"z',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_render_html_never_emits_active_markup(text: str) -> None:
    out = render(text, {"alice": f"{BASE}/@alice"})
    safe_html(out)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "&lt;b&gt; & &amp; \" '",
        "<p onclick=alert(1)>para</p>",
    ],
)
def test_render_html_keeps_what_the_author_typed_as_text(text: str) -> None:
    collector = safe_html(render(text))
    assert collector.plain == text
    assert [tag for tag, _ in collector.tags] == ["p"]


@pytest.mark.parametrize("text", ["javascript:alert(1)", "click javascript:alert(1) now",
                                  "data:text/html,<script>alert(1)</script>",
                                  "ftp://example.com/file", "www.example.com"])
def test_render_html_does_not_link_non_http_schemes(text: str) -> None:
    collector = safe_html(render(text))
    assert collector.links == []
    assert collector.plain == text


def test_render_html_url_with_double_quote_cannot_break_out_of_href() -> None:
    collector = safe_html(render('https://example.com/a"onmouseover="alert(1)'))
    assert len(collector.links) == 1
    link = collector.links[0]
    assert link["href"] == "https://example.com/a"
    assert set(link) == {"href", "target", "rel", "translate"}
    assert collector.plain == 'example.com/a"onmouseover="alert(1)'


def test_render_html_url_with_angle_bracket_cannot_break_out_of_href() -> None:
    collector = safe_html(render("https://example.com/<img src=x onerror=alert(1)>"))
    assert [link["href"] for link in collector.links] == ["https://example.com/"]
    assert "img" not in {tag for tag, _ in collector.tags}
    assert collector.plain == "example.com/<img src=x onerror=alert(1)>"


def test_render_html_url_ampersands_are_escaped_in_href() -> None:
    out = render("https://example.com/?a=1&b=2")
    assert 'href="https://example.com/?a=1&amp;b=2"' in out
    collector = safe_html(out)
    assert collector.links[0]["href"] == "https://example.com/?a=1&b=2"


def test_render_html_links_urls_with_safe_attributes() -> None:
    collector = safe_html(render("read https://www.example.com/path?x=1 now"))
    assert collector.links == [{
        "href": "https://www.example.com/path?x=1",
        "target": "_blank",
        "rel": "nofollow noopener noreferrer",
        "translate": "no",
    }]
    assert collector.plain == "read example.com/path?x=1 now"


# --- render_html: mentions ------------------------------------------------------------------


def test_render_html_known_mention_becomes_a_link() -> None:
    out = render("hi @Alice", {"alice": f"{BASE}/@alice"})
    collector = safe_html(out)
    assert collector.links == [{"href": f"{BASE}/@alice", "class": "u-url mention"}]
    assert ("span", {"class": "h-card", "translate": "no"}) in collector.tags
    assert collector.plain == "hi @Alice"


def test_render_html_unknown_mention_stays_plain_text() -> None:
    collector = safe_html(render("hi @bob <b>", {"alice": f"{BASE}/@alice"}))
    assert collector.links == []
    assert collector.plain == "hi @bob <b>"


def test_render_html_known_mention_url_is_escaped() -> None:
    url = f'{BASE}/@a"onmouseover="alert(1)'
    collector = safe_html(render("@alice", {"alice": url}))
    assert collector.links[0]["href"] == url
    assert set(collector.links[0]) == {"href", "class"}


def test_render_html_email_address_is_not_a_mention_link() -> None:
    collector = safe_html(render("mail@example.com", {"example": f"{BASE}/@example"}))
    assert collector.links == []
    assert collector.plain == "mail@example.com"


def test_render_html_mention_inside_url_is_part_of_the_url_link() -> None:
    collector = safe_html(render("https://example.com/x?u=@alice", {"alice": f"{BASE}/@alice"}))
    assert [link["href"] for link in collector.links] == ["https://example.com/x?u=@alice"]


# --- render_html: hashtags ------------------------------------------------------------------


def test_render_html_hashtag_links_to_lower_cased_tag_page() -> None:
    collector = safe_html(render("Lunch #Caf\u00e9 #Python"))
    assert [link["href"] for link in collector.links] == [f"{BASE}/tags/caf\u00e9",
                                                          f"{BASE}/tags/python"]
    assert all(link["class"] == "mention hashtag" and link["rel"] == "tag"
               for link in collector.links)
    assert collector.plain == "Lunch #Caf\u00e9 #Python"  # the shown text keeps its case


def test_render_html_cjk_hashtag() -> None:
    collector = safe_html(render("#\u65e5\u672c\u8a9e"))
    assert collector.links[0]["href"] == f"{BASE}/tags/\u65e5\u672c\u8a9e"


def test_render_html_numeric_hashtag_is_not_linked() -> None:
    collector = safe_html(render("issue #123"))
    assert collector.links == []
    assert collector.plain == "issue #123"


def test_render_html_hashtag_inside_url_is_not_a_separate_link() -> None:
    collector = safe_html(render("https://example.com/a-#nottag #yes"))
    assert [link["href"] for link in collector.links] == ["https://example.com/a-#nottag",
                                                          f"{BASE}/tags/yes"]


# --- render_html: paragraphs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one", "<p>one</p>"),
        ("one\n\ntwo", "<p>one</p><p>two</p>"),
        ("one\n\n\n\ntwo", "<p>one</p><p>two</p>"),
        ("one\ntwo", "<p>one<br />two</p>"),
        ("a\nb\n\nc\nd", "<p>a<br />b</p><p>c<br />d</p>"),
        ("\n\n  padded  \n\n", "<p>padded</p>"),
        ("<b>\n\n</b>", "<p>&lt;b&gt;</p><p>&lt;/b&gt;</p>"),
        ("", ""),
    ],
)
def test_render_html_paragraphs_and_line_breaks(text: str, expected: str) -> None:
    out = render(text)
    assert out == expected
    safe_html(out)


def test_render_html_full_status() -> None:
    out = render("Hi @alice, see https://example.com/x\n\n#News <3",
                 {"alice": f"{BASE}/@alice"})
    collector = safe_html(out)
    assert out.startswith("<p>") and out.endswith("</p>")
    assert out.count("<p>") == 2
    assert [link["href"] for link in collector.links] == [
        f"{BASE}/@alice", "https://example.com/x", f"{BASE}/tags/news"]
    assert collector.plain == "Hi @alice, see example.com/x#News <3"


def test_render_html_mention_naming_another_network_stays_plain() -> None:
    out = render("@alice@acme.test and @alice@elsewhere.test", {"alice": f"{BASE}/@alice"})
    collector = safe_html(out)
    assert [a.get("href") for t, a in collector.tags if t == "a"] == [f"{BASE}/@alice"]
    assert "@alice@elsewhere.test" in out


def test_render_html_windows_line_endings_make_paragraphs() -> None:
    assert render("one\r\n\r\ntwo\r\nthree") == "<p>one</p><p>two<br />three</p>"
