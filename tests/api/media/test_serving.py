"""The files behind attachments: served at their signed URLs only (the key alone, guessed or
stripped of its signature, is refused), to readers the status's visibility lets see its JSON;
served as uploaded minus what a phone leaves in them (no EXIF, no GPS), and never as something a
browser would run."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from tests.helpers import Api, other_domain
from tests.helpers.media import SVG, has_gps, picture, uploaded


def _without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def _with_signature(url: str, sig: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["sig"] = sig
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_a_followers_home_shows_files_it_can_fetch_without_their_gps(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    original = picture(80, 60, fmt="JPEG")
    assert has_gps(original)
    media = await uploaded(api.client, author.headers, original, name="holiday.jpg",
                           content_type="image/jpeg")
    await api.idle()
    posted = await api.post(author, "where was this?", media_ids=[media["id"]])
    await api.idle()
    [shown] = [s for s in (await api.home(follower)).json() if s["id"] == posted["id"]]
    [attachment] = shown["media_attachments"]
    served = await api.client.get(attachment["url"])  # no token: browsers send none
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "image/jpeg"
    assert not has_gps(served.content)
    preview = await api.client.get(attachment["preview_url"])
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("image/")
    assert not has_gps(preview.content)


async def test_a_private_posts_files_reach_only_its_readers(api: Api) -> None:
    author, follower = await api.user(), await api.user()
    stranger = await api.user(domain=other_domain())
    await api.follow(follower, author)
    media = await uploaded(api.client, author.headers)
    await api.idle()
    posted = await api.post(author, "followers only", visibility="private",
                            media_ids=[media["id"]])
    await api.idle()
    path = f"/api/v1/statuses/{posted['id']}"
    assert (await api.client.get(path, headers=stranger.headers)).status_code == 404
    assert (await api.client.get(path)).status_code == 404  # anonymous
    seen = (await api.client.get(path, headers=follower.headers)).json()
    url = seen["media_attachments"][0]["url"]
    assert (await api.client.get(url)).status_code == 200
    # The key without its signature, or with another, is refused: a key known or guessed
    # does not open the file.
    assert (await api.client.get(_without_query(url))).status_code == 403
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    tampered = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert (await api.client.get(_with_signature(url, tampered))).status_code == 403
    # A signature is for its key only.
    preview = seen["media_attachments"][0]["preview_url"]
    moved = urlunsplit(urlsplit(preview)._replace(query=urlsplit(url).query))
    assert (await api.client.get(moved)).status_code == 403


async def test_files_of_no_picture_type_are_served_as_downloads(api: Api) -> None:
    me = await api.user()
    text = await uploaded(api.client, me.headers, b"plain words\n", name="a.png")
    svg = await uploaded(api.client, me.headers, SVG, name="cat.svg",
                         content_type="image/svg+xml")
    await api.idle()
    for media in (text, svg):
        shown = (await api.client.get(f"/api/v1/media/{media['id']}", headers=me.headers)).json()
        served = await api.client.get(shown["url"])
        assert served.status_code == 200, served.text
        assert not served.headers["content-type"].startswith(("image/", "text/html"))
        assert served.headers["content-disposition"].startswith("attachment")


async def test_an_avatar_is_public(api: Api) -> None:
    me = await api.user()
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               files={"avatar": ("me.jpg", picture(500, 400, fmt="JPEG"),
                                                 "image/jpeg")})
    assert r.status_code == 200, r.text
    served = await api.client.get(r.json()["avatar"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert not has_gps(served.content)


async def test_the_web_client_may_play_video_and_audio_from_the_media_store(api: Api) -> None:
    # With the S3 back end, attachments come from the bucket's host: a page whose CSP allowed
    # media from its own origin only would show the pictures and refuse every video and song.
    r = await api.client.get("/")
    assert r.status_code == 200
    directives = dict(d.strip().split(" ", 1) for d in
                      r.headers["content-security-policy"].split(";") if d.strip())
    assert set(directives["media-src"].split()) >= {"'self'", "https:"}
    assert set(directives["img-src"].split()) >= {"'self'", "https:"}
