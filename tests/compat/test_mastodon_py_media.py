"""Media through Mastodon.py, unmodified (issue #18), on both storage back ends: the session's
stack (files under its data folder, served by the gateway's /files with signed URLs) and one
whose files live in S3 (SeaweedFS), which serves them itself: attachments at presigned URLs,
avatars and headers at plain public ones (shared/media/s3.py).

A picture with a GPS position goes up with ``media_post`` (``synchronous=True``: Mastodon.py
polls ``GET /api/v1/media/:id`` until the URL is there), into a status with ``status_post``, and
a follower's ``timeline_home`` shows it with its preview, blurhash and sizes; both files are
fetched from wherever their URLs point, as a browser would (no token), and are pictures with no
position left in them. A followers-only post's files are refused to a stranger: the status is
not theirs to read, and the files' addresses are refused without the signature the status
carries, or with one changed. Mastodon.py's ``account_update_credentials(avatar=...)`` sets an
avatar at a public URL anyone may fetch.

Mastodon.py is synchronous (requests): every call runs in a thread so the stacks, which live in
the test's event loop, keep serving."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonNotFoundError
from PIL import Image

from tests.helpers import Api, User, other_domain
from tests.helpers.media import has_gps, picture, tampered, unsigned

run = asyncio.to_thread
WIDTH, HEIGHT = 1200, 900  # larger than a preview (640 on its longer side)


async def mastodon_as(api: Api, user: User) -> Mastodon:
    """Mastodon.py holding the user's token; it reads the instance's version at once."""
    return await run(Mastodon, access_token=user.token, api_base_url=str(api.client.base_url),
                     version_check_mode="created")


def file_base(api: Api, kind: str) -> str:
    """Where the stack's files of ``kind`` (media, avatars) are served from."""
    settings = api.stack.settings
    if settings.media_storage == "s3":
        return f"{settings.s3_endpoint}/{settings.s3_bucket}/{kind}/"
    return f"{api.stack.base_url}/files/{kind}/"


async def fetched_picture(url: str, content_type: str) -> Image.Image:
    """The file at ``url`` fetched as a browser would (no token): a picture of that type, with
    no EXIF left in it (no position, no camera)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        r = await browser.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == content_type
    assert not has_gps(r.content)
    image = Image.open(io.BytesIO(r.content))
    image.load()
    assert not image.getexif(), dict(image.getexif())  # no EXIF at all, not only no GPS
    return image


async def refused(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as stranger:
        r = await stranger.get(url)
    assert r.status_code == 403, (url, r.status_code, r.text[:300])
    assert not r.content.startswith(b"\xff\xd8\xff")  # no JPEG in the refusal


async def follower_and_author(api: Api) -> tuple[User, Mastodon, User, Mastodon]:
    domain = other_domain()
    author, follower = await api.user(domain=domain), await api.user(domain=domain)
    author_m, follower_m = await mastodon_as(api, author), await mastodon_as(api, follower)
    assert (await run(follower_m.account_follow, author.id)).following
    await api.idle()
    return author, author_m, follower, follower_m


async def posted_picture(api: Api, author: Mastodon, text: str, **status: Any) -> Any:
    """A JPEG with a GPS position uploaded and posted by ``author``: the status."""
    uploaded = await run(author.media_post, picture(WIDTH, HEIGHT, fmt="JPEG"),
                         mime_type="image/jpeg", description="A red field", synchronous=True)
    assert uploaded.url and uploaded.type == "image", uploaded
    posted = await run(author.status_post, text, media_ids=[uploaded], **status)
    assert [m.id for m in posted.media_attachments] == [uploaded.id]
    await api.idle()
    return posted


async def in_home(reader: Mastodon, status_id: Any) -> Any:
    found = [s for s in await run(reader.timeline_home) if s.id == status_id]
    assert found, "the status is not in the follower's home timeline"
    return found[0]


async def test_a_picture_reaches_a_followers_home_with_preview_and_blurhash(
        media_api: Api) -> None:
    api = media_api
    _, author, _, follower = await follower_and_author(api)
    posted = await posted_picture(api, author, "Look at this")

    [shown] = (await in_home(follower, posted.id)).media_attachments
    assert shown.type == "image" and shown.description == "A red field"
    assert isinstance(shown.blurhash, str) and len(shown.blurhash) >= 6
    assert (shown.meta.original.width, shown.meta.original.height) == (WIDTH, HEIGHT)
    assert (shown.meta.small.width, shown.meta.small.height) == (640, 480)
    for url in (shown.url, shown.preview_url):
        assert url.startswith(file_base(api, "media")), url
    original = await fetched_picture(shown.url, "image/jpeg")
    assert original.size == (WIDTH, HEIGHT)
    preview = await fetched_picture(shown.preview_url, "image/jpeg")
    assert preview.size == (640, 480)


async def test_a_private_posts_picture_is_refused_to_a_stranger(media_api: Api) -> None:
    api = media_api
    author_user, author, _, follower = await follower_and_author(api)
    stranger_user = await api.user(domain=author_user.email.split("@")[1])
    stranger = await mastodon_as(api, stranger_user)
    posted = await posted_picture(api, author, "Followers only", visibility="private")
    assert posted.visibility == "private"

    [shown] = (await in_home(follower, posted.id)).media_attachments
    await fetched_picture(shown.url, "image/jpeg")  # the follower's signed URL works

    # A stranger is never given the URLs: the status is not theirs to read...
    with pytest.raises(MastodonNotFoundError):
        await run(stranger.status, posted.id)
    assert posted.id not in [s.id for s in await run(stranger.account_statuses,
                                                      author_user.id)]
    r = await api.client.get(f"/api/v1/statuses/{posted.id}")  # nor with no token at all
    assert r.status_code == 404, r.text
    # ...and the files' addresses (leaked, or guessed) are refused without the signature, or
    # with one changed: by the gateway's /files (local), by the S3 server itself (S3), as the
    # bucket lets anyone read only avatars/ and headers/.
    for url in (shown.url, shown.preview_url):
        await refused(unsigned(url))
        await refused(tampered(url))


async def test_an_avatar_set_with_update_credentials_is_public(media_api: Api) -> None:
    api = media_api
    me = await api.user(domain=other_domain())
    m = await mastodon_as(api, me)
    account = await run(m.account_update_credentials, display_name="Pictured",
                        avatar=picture(600, 500, fmt="JPEG"), avatar_mime_type="image/jpeg")
    assert account.display_name == "Pictured"
    assert account.avatar.startswith(file_base(api, f"avatars/{me.id}")), account.avatar
    assert "?" not in account.avatar  # public: a plain URL, not a signed one
    assert account.avatar_static == account.avatar
    await api.idle()

    other = await mastodon_as(api, await api.user(domain=me.email.split("@")[1]))
    assert (await run(other.account, me.id)).avatar == account.avatar
    avatar = await fetched_picture(account.avatar, "image/jpeg")
    assert avatar.size == (400, 400)


async def test_a_status_deleted_with_its_media_takes_the_files_away(media_api: Api) -> None:
    api = media_api
    author = await mastodon_as(api, await api.user(domain=other_domain()))
    posted = await posted_picture(api, author, "Soon gone")
    [shown] = posted.media_attachments
    await fetched_picture(shown.preview_url, "image/jpeg")

    redraft = await run(author.status_delete, posted.id, delete_media=True)
    assert redraft.text == "Soon gone"  # delete-and-redraft's source
    await api.idle()  # the media worker deletes the files (shared/events.py MediaDeleted)
    async with httpx.AsyncClient(timeout=10) as browser:
        for url in (shown.url, shown.preview_url):
            r = await browser.get(url)  # still signed, and nothing there any more
            assert r.status_code == 404, (url, r.status_code, r.text[:300])
