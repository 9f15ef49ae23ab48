"""Avatars and headers uploaded with update_credentials: processed by posts' media worker
(cropped, metadata gone), set on the profile at a public URL; DELETE /api/v1/profile/avatar and
/header put the default back."""

from __future__ import annotations

from tests.helpers import Api
from tests.helpers.media import picture


async def test_an_uploaded_avatar_and_header_are_set_on_the_profile(api: Api) -> None:
    me = await api.user()
    r = await api.client.patch(
        "/api/v1/accounts/update_credentials", headers=me.headers,
        data={"display_name": "Pictured"},
        files={"avatar": ("me.png", picture(600, 500), "image/png"),
               "header": ("wide.jpg", picture(1800, 700, fmt="JPEG"), "image/jpeg")})
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["display_name"] == "Pictured"
    assert "/avatars/" in shown["avatar"] and "missing" not in shown["avatar"]
    assert "/headers/" in shown["header"] and "missing" not in shown["header"]
    assert shown["avatar_static"] == shown["avatar"]
    assert "sig=" not in shown["avatar"]  # public: the URL is stored and shown as it is
    await api.idle()
    again = (await api.client.get("/api/v1/accounts/verify_credentials",
                                  headers=me.headers)).json()
    assert again["avatar"] == shown["avatar"] and again["header"] == shown["header"]

    # A newer avatar replaces it, at a URL of its own.
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               files={"avatar": ("me2.png", picture(300, 300), "image/png")})
    assert r.status_code == 200, r.text
    assert "/avatars/" in r.json()["avatar"] and r.json()["avatar"] != shown["avatar"]

    r = await api.client.delete("/api/v1/profile/avatar", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["avatar"].endswith("/avatars/original/missing.png")
    assert r.json()["header"] == shown["header"]
    r = await api.client.delete("/api/v1/profile/header", headers=me.headers)
    assert r.json()["header"].endswith("/headers/original/missing.png")


async def test_an_avatar_that_is_no_picture_is_refused(api: Api) -> None:
    me = await api.user()
    for name, data in (("a.png", b"\x89PNG"), ("notes.txt", b"plain words\n")):
        r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                                   data={"display_name": "Unchanged?"},
                                   files={"avatar": (name, data, "image/png")})
        assert r.status_code == 422, r.text
        assert "picture" in r.json()["error"]
    broken = picture()[:60] + b"\x00" * 40
    r = await api.client.patch("/api/v1/accounts/update_credentials", headers=me.headers,
                               data={"display_name": "Unchanged?"},
                               files={"avatar": ("broken.png", broken, "image/png")})
    assert r.status_code == 422, r.text
    me_now = (await api.client.get("/api/v1/accounts/verify_credentials",
                                   headers=me.headers)).json()
    assert me_now["display_name"] != "Unchanged?"
    assert me_now["avatar"].endswith("/avatars/original/missing.png")
