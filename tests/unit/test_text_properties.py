"""Property-based: arbitrary Unicode through the text pipeline never crashes and never comes out
as live markup. Whatever the author types, the HTML holds only the tags Hubbub itself writes."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.posts.text import length, parse, render_html

BASE = "https://hubbub.test"
ALLOWED = {"p", "br", "a", "span"}
ALLOWED_ATTRS = {"href", "class", "rel", "target", "translate"}

# Characters that matter to HTML, URLs, mentions and tags, mixed into arbitrary Unicode.
interesting = st.sampled_from(list("<>&\"'=/@#:;. \n\r\t`") + [
    "<script>", "</p>", "javascript:", "https://", "http://x.y/", "@alice", "@alice@acme.test",
    "#tag", "&amp;", "\u202e", "\u0000", "\ud7ff", "\U0001f600", "\u00e9", "\u0301"])
texts = st.lists(st.one_of(st.text(max_size=20), interesting), max_size=40).map("".join)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_rendered_html_has_only_our_markup(text: str) -> None:
    parsed = parse(text)
    known = {name.lower(): (f"{BASE}/@{name}", "acme.test") for name, _ in parsed.mentions}
    html = render_html(text, base_url=BASE, known_mentions=known)
    collector = Collector()
    collector.feed(html)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRS, (attrs, html)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://")), html
            assert '"' not in href and "<" not in href, html
    assert length(text) >= 0


@settings(max_examples=200, deadline=None)
@given(texts)
def test_the_words_survive_rendering(text: str) -> None:
    """Nothing typed is silently dropped: the visible text holds every non-space character
    (the renderer only adds markup, shortens link labels and turns newlines into breaks)."""
    html = render_html(text, base_url=BASE, known_mentions={})
    collector = Collector()
    collector.feed(html)
    collector.close()
    visible = "".join(collector.text)
    if "http" not in text.lower():  # link labels drop the scheme
        kept = [c for c in text if not c.isspace() and c not in "\x00"]
        shown = [c for c in visible if not c.isspace()]
        assert len(shown) >= len(kept) - text.count("\r"), (text, html)
