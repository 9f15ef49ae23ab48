"""Media in the web client (Chromium, as test_browser.py): a picture attached in the composer
(picked, dropped or pasted) uploads with progress, is described and given a focus point, and is
posted; a follower sees it live in their home timeline with its blurhash painted until the
preview arrives and its description as ``alt``, opens it in the viewer (arrow keys move, Escape
closes), uncovers a sensitive post's media and downloads a file; uploads the server refuses say
why on their tile; the profile editor changes and removes the avatar shown."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.helpers import Api
from tests.helpers.browser import ARTIFACTS, CHROMIUM, signed_in
from tests.helpers.media import SVG, damaged_png, picture, upload_wait, uploaded

if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: the browser tests need /usr/bin/chromium",
                allow_module_level=True)
try:
    from playwright.async_api import Browser, Locator, Page, Route, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("Playwright not installed: pip install -e '.[dev]'", allow_module_level=True)

ALT = "A red square crossed by a green line"
# Processing happens in posts' media worker, a moment after the upload.
PROCESSED_MS = 20_000

# A file handed to the page the way a drop or a paste does: in a DataTransfer.
DISPATCH_FILE = """([selector, kind, name, type, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const target = document.querySelector(selector);
  if (kind === 'paste') {
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true,
      cancelable: true }));
    return;
  }
  for (const type of ['dragenter', 'dragover', 'drop']) {
    target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true,
      cancelable: true }));
  }
}"""


def png_file(name: str, data: bytes | None = None) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/png",
            "buffer": data if data is not None else picture(320, 240, gps=False)}


async def home_composer(page: Page) -> Locator:
    composer = page.locator("#main form.composer")
    await expect(composer).to_be_visible()
    return composer


async def test_a_picture_posted_from_the_composer_reaches_a_follower(
        browser: Browser, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # The upload answered 202 at once (no wait for processing, HUBBUB_MEDIA_UPLOAD_WAIT_S=0,
    # as for a large photo): the composer watches the picture until it is processed. (The
    # next test's pictures are answered 200, processed within the upload.)
    upload_wait(monkeypatch, api, 0.0)
    author, follower = await api.user(), await api.user()
    await api.follow(follower, author)
    base = api.stack.base_url
    ARTIFACTS.mkdir(exist_ok=True)

    # The follower is reading already; the post arrives live. Files are held back at first,
    # so that what shows before a picture loads can be seen.
    reader = await signed_in(browser, base, follower)
    held: list[Route] = []
    await reader.route("**/files/media/**", lambda route: held.append(route))

    page = await signed_in(browser, base, author)
    errors: list[str] = []
    for p in (page, reader):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
    composer = await home_composer(page)
    progress: list[str] = []
    await page.expose_function("sawProgress", lambda value: progress.append(value))
    await page.evaluate("""() => new MutationObserver((changes) => changes.forEach((c) => {
      if (c.target.matches?.('progress')) window.sawProgress(c.target.getAttribute('value'));
    })).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] })""")

    async with page.expect_response(lambda r: r.url.endswith("/api/v2/media")) as uploading:
        await composer.locator("input[type=file]").set_input_files([png_file("red.png")])
    assert (await uploading.value).status == 202
    tile = composer.locator(".attachment")
    await expect(tile).to_have_count(1)
    # Processed: the thumbnail becomes the focus picker.
    picker = tile.get_by_role("button", name=re.compile("Focus point of red.png"))
    await expect(picker).to_be_visible(timeout=PROCESSED_MS)
    assert any(int(v) > 0 for v in progress), f"the progress bar never moved: {progress}"
    await expect(picker).to_have_class(re.compile(r"\bloaded\b"))
    # The point that matters: the upper left quarter (x -0.5, y 0.5 as Mastodon counts).
    box = await picker.locator("img").bounding_box()
    assert box
    await page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    await expect(picker).to_have_attribute("aria-label", re.compile(r"top left"))
    await composer.get_by_label("Alt text").fill(ALT)
    await expect(composer.get_by_label("Mark media as sensitive")).to_be_visible()
    await expect(composer.get_by_role("button", name="Add a poll")).to_be_disabled()
    await page.screenshot(path=ARTIFACTS / "compose-media.png")

    # A post may be media alone, without a word.
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/statuses")
                                    and r.request.method == "POST") as posting:
        await composer.get_by_role("button", name="Post", exact=True).click()
    answer = await posting.value
    assert answer.ok, await answer.text()
    posted = await answer.json()
    [attachment] = posted["media_attachments"]
    assert attachment["description"] == ALT
    focus = attachment["meta"]["focus"]  # within a pixel or two of the thumbnail
    assert focus["x"] == pytest.approx(-0.5, abs=0.05), focus
    assert focus["y"] == pytest.approx(0.5, abs=0.05), focus
    await expect(tile).to_have_count(0)  # the composer is empty again

    # The follower: the blurhash while the preview is held back, the preview once it comes.
    card = reader.locator("article.status", has=reader.locator(f'img[alt="{ALT}"]'))
    shown = card.locator(".media-tile")
    await expect(shown).to_have_count(1)
    await expect(shown.locator("canvas.blurhash")).to_be_visible()
    await expect(shown).not_to_have_class(re.compile(r"\bloaded\b"))
    img = shown.locator("img")
    await expect(img).to_have_attribute("alt", ALT)
    assert await img.get_attribute("src") == attachment["preview_url"]
    await reader.screenshot(path=ARTIFACTS / "media-blurhash.png")
    for route in held:
        await route.continue_()
    await reader.unroute("**/files/media/**")
    await expect(shown).to_have_class(re.compile(r"\bloaded\b"))
    assert await img.evaluate("(i) => i.complete && i.naturalWidth > 0")
    await reader.screenshot(path=ARTIFACTS / "media-timeline.png")

    # The viewer: the picture itself, large, with its description; Escape closes it.
    await shown.click()
    viewer = reader.get_by_role("dialog", name="Picture")
    await expect(viewer).to_contain_text(ALT)
    large = viewer.locator(".viewer-stage img")
    await expect(large).to_have_attribute("alt", ALT)
    assert await large.get_attribute("src") == attachment["url"]
    await expect(viewer.locator(".viewer-stage")).to_have_class(re.compile(r"\bloaded\b"))
    await reader.screenshot(path=ARTIFACTS / "media-viewer.png")
    await reader.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)
    await expect(shown).to_be_focused()
    assert errors == []


async def test_dropped_and_pasted_pictures_and_refusals_show_on_their_tiles(
        browser: Browser, api: Api) -> None:
    user = await api.user()
    page = await signed_in(browser, api.stack.base_url, user)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    composer = await home_composer(page)
    tiles = composer.locator(".attachment")
    png = base64.b64encode(picture(80, 60, gps=False)).decode()

    await page.evaluate(DISPATCH_FILE, ["#main form.composer", "drop", "dropped.png",
                                        "image/png", png])
    await page.evaluate(DISPATCH_FILE, ["#main form.composer textarea", "paste", "image.png",
                                        "image/png", png])
    await expect(tiles).to_have_count(2)
    for name in ("dropped.png", "image.png"):
        await expect(tiles.get_by_role("button", name=re.compile(f"Focus point of {name}"))
                     ).to_be_visible(timeout=PROCESSED_MS)

    # Refused when uploaded: the server's reason on the tile, and nothing posts until it goes.
    await composer.locator("input[type=file]").set_input_files([png_file("empty.png", b"")])
    refused = tiles.filter(has_text="empty.png")
    await expect(refused.get_by_role("alert")).to_have_text(re.compile("The file is empty"))
    # Refused by processing (a PNG cut short): the upload's own answer says why (422), as a
    # small picture is processed within it.
    broken = damaged_png(width=80, height=60, gps=False)
    await composer.locator("input[type=file]").set_input_files([png_file("broken.png", broken)])
    await expect(tiles.filter(has_text="broken.png").get_by_role("alert")).to_have_text(
        re.compile(r"\w"), timeout=PROCESSED_MS)
    # A fifth file is one too many.
    await composer.locator("input[type=file]").set_input_files([png_file("fifth.png")])
    await expect(composer.locator(".attachments-notice")).to_have_text(
        "A post can have at most 4 attachments.")
    await expect(tiles).to_have_count(4)
    await page.screenshot(path=ARTIFACTS / "compose-media-refused.png")
    await composer.get_by_role("combobox", name="What do you want to say?").fill("two pictures")
    await composer.get_by_role("button", name="Post", exact=True).click()
    await expect(composer.locator(".form-error")).to_contain_text("could not be uploaded")

    # Removed (the upload is deleted on the server too), the post goes out with the two others.
    for name in ("empty.png", "broken.png"):
        await composer.get_by_role("button", name=f"Remove {name}").click()
    await expect(tiles).to_have_count(2)
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/statuses")
                                    and r.request.method == "POST") as posting:
        await composer.get_by_role("button", name="Post", exact=True).click()
    posted = await (await posting.value).json()
    assert len(posted["media_attachments"]) == 2
    assert errors == []


async def test_sensitive_media_several_pictures_and_files_for_a_reader(
        browser: Browser, api: Api) -> None:
    author, reader = await api.user(), await api.user()
    await api.follow(reader, author)
    c = api.client
    first = await uploaded(c, author.headers, picture(90, 60, gps=False), description="first")
    second = await uploaded(c, author.headers, picture(60, 90, gps=False, color=(20, 90, 200)),
                            description="second")
    svg = await uploaded(c, author.headers, SVG, name="drawing.svg",
                         content_type="image/svg+xml", description="A drawing")
    await api.idle()
    await api.post(author, "careful", media_ids=[first["id"], second["id"]], sensitive=True)
    await api.post(author, "a file", media_ids=[svg["id"]])
    await api.idle()
    page = await signed_in(browser, api.stack.base_url, reader)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Covered: only the blurhashes show, and the pictures cannot be reached by the keyboard.
    card = page.locator("article.status", has_text="careful")
    cover = card.get_by_role("button", name=re.compile("Sensitive content"))
    await expect(cover).to_be_visible()
    await expect(card.locator(".media-tile img").first).to_be_hidden()
    await cover.click()
    tiles = card.locator(".media-tile")
    await expect(tiles).to_have_count(2)
    await expect(tiles.first.locator("img")).to_be_visible()
    await expect(card.get_by_role("button", name="Hide media")).to_be_focused()

    # The viewer moves with the arrow keys, round and round.
    await tiles.first.click()
    viewer = page.get_by_role("dialog")
    await expect(viewer).to_have_accessible_name("Picture 1 of 2")
    await expect(viewer.locator("figcaption")).to_have_text("first")
    await page.keyboard.press("ArrowRight")
    await expect(viewer).to_have_accessible_name("Picture 2 of 2")
    await expect(viewer.locator("figcaption")).to_have_text("second")
    await page.keyboard.press("ArrowRight")
    await expect(viewer.locator("figcaption")).to_have_text("first")
    await page.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)

    # A file that is no picture (an SVG is never shown as one): a download.
    link = page.locator("article.status", has_text="a file").locator("a.media-file")
    await expect(link).to_contain_text("A drawing")
    await expect(link).to_contain_text(re.compile(r"\d+ B"))
    assert "/files/media/" in (await link.get_attribute("href") or "")
    assert errors == []


async def test_the_profile_editor_changes_and_removes_the_avatar(
        browser: Browser, api: Api) -> None:
    user = await api.user()
    page = await signed_in(browser, api.stack.base_url, user)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    me_card = page.locator(".me-card")
    await expect(me_card.locator(".avatar.initials")).to_be_visible()

    await page.get_by_role("link", name="Settings").click()
    await page.get_by_role("navigation", name="Settings sections").get_by_role(
        "link", name="Profile").click()
    await page.locator("input[type=file][name=avatar]").set_input_files(
        [png_file("me.png", picture(400, 300, gps=False))])
    await expect(page.get_by_role("status").filter(has_text="Profile picture updated.")
                 ).to_be_visible(timeout=PROCESSED_MS)
    shown = page.get_by_role("img", name="Your profile picture")
    await expect(shown).to_have_attribute("src", re.compile(r"/avatars/"))
    assert await shown.evaluate("(i) => i.complete && i.naturalWidth > 0")
    await expect(me_card.locator("img.avatar")).to_have_attribute("src", re.compile(r"/avatars/"))
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert "/avatars/" in r.json()["avatar"]
    assert await me_card.locator("img.avatar").get_attribute("src") == r.json()["avatar"]

    # A file that is no picture: the server's reason, and the avatar stays.
    await page.locator("input[type=file][name=avatar]").set_input_files(
        [{"name": "notes.png", "mimeType": "image/png", "buffer": b"plain words\n"}])
    await expect(page.get_by_role("status").filter(has_text="must be a picture")).to_be_visible(
        timeout=PROCESSED_MS)
    await expect(me_card.locator("img.avatar")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "profile-editor.png")

    await page.get_by_role("button", name="Remove profile picture").click()
    await expect(page.get_by_role("status").filter(has_text="Profile picture removed.")
                 ).to_be_visible()
    await expect(me_card.locator(".avatar.initials")).to_be_visible()
    r = await api.client.get("/api/v1/accounts/verify_credentials", headers=user.headers)
    assert r.json()["avatar"].endswith("/avatars/original/missing.png")
    assert errors == []


async def test_an_edit_keeps_describes_and_removes_attachments(browser: Browser, api: Api) -> None:
    author = await api.user()
    c = api.client
    first = await uploaded(c, author.headers, picture(90, 60, gps=False), description="before")
    second = await uploaded(c, author.headers, picture(60, 90, gps=False), description="gone")
    await api.idle()
    posted = await api.post(author, "two for now", media_ids=[first["id"], second["id"]])
    await api.idle()
    page = await signed_in(browser, api.stack.base_url, author)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    card = page.locator("article.status", has_text="two for now")
    await expect(card.locator(".media-tile")).to_have_count(2)

    async def edit() -> Locator:
        await card.get_by_role("button", name="More actions").click()
        await page.get_by_role("menuitem", name="Edit").click()
        dialog = page.get_by_role("dialog", name="Edit post")
        await expect(dialog.get_by_role("combobox", name="Post text")).to_have_value(
            re.compile("for now"))
        return dialog

    # The attachments come with their descriptions; one is described anew, one removed.
    dialog = await edit()
    tiles = dialog.locator(".attachment")
    await expect(tiles).to_have_count(2)
    alts = dialog.get_by_label("Alt text")
    await expect(alts.first).to_have_value("before")
    await expect(alts.nth(1)).to_have_value("gone")
    await alts.first.fill("after")
    await tiles.nth(1).get_by_role("button", name=re.compile("^Remove")).click()
    await expect(tiles).to_have_count(1)
    async with page.expect_request(lambda r: r.method == "PUT"
                                   and r.url.endswith(f"/statuses/{posted['id']}")) as saving:
        await dialog.get_by_role("button", name="Save").click()
    sent = (await saving.value).post_data_json
    assert sent["media_ids"] == [first["id"]]
    assert sent["media_attributes"] == [{"id": first["id"], "description": "after",
                                         "focus": "0.00,0.00"}]
    await expect(card.locator(".media-tile")).to_have_count(1)
    await expect(card.locator(".media-tile img")).to_have_attribute("alt", "after")

    # A text-only edit sends no media_ids at all: what is attached stays.
    dialog = await edit()
    await dialog.get_by_role("combobox", name="Post text").fill("one now")
    async with page.expect_request(lambda r: r.method == "PUT"
                                   and r.url.endswith(f"/statuses/{posted['id']}")) as saving:
        await dialog.get_by_role("button", name="Save").click()
    assert "media_ids" not in (await saving.value).post_data_json
    card = page.locator("article.status", has_text="one now")
    await expect(card.locator(".media-tile img")).to_have_attribute("alt", "after")
    r = await api.client.get(f"/api/v1/statuses/{posted['id']}", headers=author.headers)
    assert [m["description"] for m in r.json()["media_attachments"]] == ["after"]
    assert errors == []


async def test_a_scheduled_post_carries_its_picture(browser: Browser, api: Api) -> None:
    user = await api.user()
    page = await signed_in(browser, api.stack.base_url, user)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    composer = await home_composer(page)
    await composer.locator("input[type=file]").set_input_files([png_file("later.png")])
    await expect(composer.get_by_role("button", name=re.compile("Focus point of later.png"))
                 ).to_be_visible(timeout=PROCESSED_MS)
    await composer.get_by_label("Alt text").fill("for later")
    await composer.get_by_role("button", name="Schedule", exact=True).click()
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/statuses")
                                    and r.request.method == "POST") as response:
        await composer.get_by_role("button", name="Schedule post").click()
    scheduled = await (await response.value).json()
    assert [m["description"] for m in scheduled["media_attachments"]] == ["for later"]

    await page.get_by_role("link", name="Scheduled").click()
    entry = page.get_by_role("article", name="Scheduled post")
    await expect(entry.locator('.media-tile img[alt="for later"]')).to_be_visible()
    assert errors == []
