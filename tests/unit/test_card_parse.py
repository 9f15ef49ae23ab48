"""What a page says about itself (services/posts/cards/parse.py): OpenGraph first, then Twitter
cards, then plain HTML; text cleaned for PostgreSQL and bounded; the body ignored."""

from __future__ import annotations

from services.posts.cards.parse import (
    DESCRIPTION_CHARS,
    TITLE_CHARS,
    PageMeta,
    decode,
    page_meta,
)


def test_opengraph_wins_over_twitter_and_plain_html() -> None:
    meta = page_meta(
        '<html><head><title>Plain</title><meta name="description" content="plain words">'
        '<meta name="twitter:title" content="Tweet"><meta property="og:title" content="OG">'
        '<meta property="og:description" content="og words">'
        '<meta property="og:site_name" content="Site"><meta property="og:type" content="video">'
        '<meta property="og:image" content="https://img.example/a.png">'
        '<meta property="og:image:width" content="1200">'
        '<meta name="author" content="Ann Author"></head><body>x</body></html>')
    assert meta == PageMeta(title="OG", description="og words", type="video",
                            author_name="Ann Author", provider_name="Site",
                            image_url="https://img.example/a.png", width=1200, height=0)


def test_twitter_then_plain_html_fill_in() -> None:
    assert page_meta('<head><meta name="twitter:title" content="Tweet"></head>').title == "Tweet"
    meta = page_meta("<title>  Just\n a   title </title><meta name=description content=Words>")
    assert (meta.title, meta.description, meta.type) == ("Just a title", "Words", "link")


def test_the_body_is_not_metadata() -> None:
    meta = page_meta('<head><title>Head</title></head><body><title>Body</title>'
                     '<meta property="og:title" content="in the body"></body>')
    assert meta.title == "Head"


def test_text_is_cleaned_and_bounded() -> None:
    meta = page_meta(f'<title>a\x00b{"t" * 1000}</title>'
                     f'<meta name="description" content="{"d" * 5000}">')
    assert "\x00" not in meta.title and meta.title.startswith("ab")
    assert len(meta.title) == TITLE_CHARS and meta.title.endswith("…")
    assert len(meta.description) == DESCRIPTION_CHARS


def test_only_web_urls_and_small_numbers() -> None:
    meta = page_meta('<meta property="og:image" content="javascript:alert(1)">'
                     '<meta property="og:image:width" content="99999999">'
                     '<meta property="og:image:height" content="-5">')
    assert (meta.image_url, meta.width, meta.height) == ("", 0, 0)


def test_broken_markup_gives_what_was_read() -> None:
    assert page_meta("<title>Half</title><meta property='og:title' content='x").title == "Half"
    assert page_meta("").title == ""


def test_charsets() -> None:
    latin = "<title>Café</title>".encode("latin-1")
    assert page_meta(decode(latin, "iso-8859-1")).title == "Café"
    assert page_meta(decode(b"<meta charset='latin-1'>" + latin, None)).title == "Café"
    assert page_meta(decode("<title>Café</title>".encode(), None)).title == "Café"
    assert page_meta(decode(latin, "no-such-charset")).title == "Caf\ufffd"
