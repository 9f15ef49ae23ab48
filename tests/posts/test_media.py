"""Posts' media rows and files: the worker does each upload once however often its event comes
(and redoes an interrupted one without doubling files), the chore and status deletions take
what nobody needs (rows and files), and an upload refused on the way writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from services.posts.use_cases.clean_media import CleanMedia
from shared import events
from tests.helpers import Api, second_gateway
from tests.helpers.media import picture, uploaded

ROW = ("SELECT state, type, upload_key, original_key, small_key, meta::text, blurhash, "
       "processed_revision, processed_at, status_id FROM media WHERE id = $1")


def _files(api: Api, media_id: int) -> list[str]:
    """Every file stored under the media's folder (the local back end's)."""
    root = Path(api.stack.settings.data_dir) / "media-files" / "media" / str(media_id)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def test_a_redelivered_upload_event_changes_nothing(api: Api) -> None:
    me = await api.user()
    media_id = int((await uploaded(api.client, me.headers))["id"])
    await api.idle()
    pool = api.stack.posts.pool
    row = await pool.fetchrow(ROW, media_id)
    assert row["state"] == "ready" and row["processed_revision"] == 1
    files = _files(api, media_id)
    assert len(files) == 2  # the processed original (over the upload: same key) and preview
    event = events.MediaUploaded(media_id=media_id, account_id=int(me.id))
    worker = api.stack.posts.media_worker
    await worker.process(event)
    await worker.process(event)
    assert await pool.fetchrow(ROW, media_id) == row
    assert _files(api, media_id) == files


async def test_an_upload_interrupted_after_its_files_are_written_is_done_again_once(
        api: Api) -> None:
    me = await api.user()
    media_id = int((await uploaded(api.client, me.headers, picture(fmt="JPEG")))["id"])
    await api.idle()
    pool = api.stack.posts.pool
    done = await pool.fetchrow(ROW, media_id)
    files = _files(api, media_id)
    # As if the worker had died after writing the files, before the row said so.
    await pool.execute("UPDATE media SET state = 'processing', processed_revision = 0, "
                       "original_key = NULL, small_key = NULL WHERE id = $1", media_id)
    await api.stack.posts.media_worker.process(
        events.MediaUploaded(media_id=media_id, account_id=int(me.id)))
    again = await pool.fetchrow(ROW, media_id)
    assert again["state"] == "ready"
    assert (again["original_key"], again["small_key"]) == (done["original_key"],
                                                           done["small_key"])
    assert _files(api, media_id) == files


async def test_uploads_never_attached_are_deleted_with_their_files(api: Api) -> None:
    me = await api.user()
    old = int((await uploaded(api.client, me.headers))["id"])
    fresh = int((await uploaded(api.client, me.headers))["id"])
    await api.idle()
    pool = api.stack.posts.pool
    await pool.execute("UPDATE media SET created_at = now() - interval '25 hours' "
                       "WHERE id = $1", old)
    assert _files(api, old)
    await CleanMedia(pool).clean()
    await api.idle()
    assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1", old) == 0
    assert _files(api, old) == []
    assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1", fresh) == 1
    assert _files(api, fresh)


async def test_a_deleted_statuss_media_waits_for_a_redraft_then_goes(api: Api) -> None:
    me = await api.user()
    media_id = (await uploaded(api.client, me.headers))["id"]
    await api.idle()
    posted = await api.post(me, "soon gone", media_ids=[media_id])
    r = await api.client.delete(f"/api/v1/statuses/{posted['id']}", headers=me.headers)
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["media_attachments"]] == [media_id]
    await api.idle()
    # Delete and redraft: the same file on a new status.
    redraft = await api.post(me, "again", media_ids=[media_id])
    assert [m["id"] for m in redraft["media_attachments"]] == [media_id]
    r = await api.client.delete(f"/api/v1/statuses/{redraft['id']}", headers=me.headers)
    assert r.status_code == 200, r.text
    pool = api.stack.posts.pool
    await CleanMedia(pool).clean()  # detached just now: kept
    assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1", int(media_id)) == 1
    await pool.execute("UPDATE media SET detached_at = now() - interval '25 hours' "
                       "WHERE id = $1", int(media_id))
    await CleanMedia(pool).clean()
    await api.idle()
    assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1", int(media_id)) == 0
    assert _files(api, int(media_id)) == []


async def test_delete_media_takes_a_statuss_files_at_once(api: Api) -> None:
    me = await api.user()
    media_id = (await uploaded(api.client, me.headers))["id"]
    await api.idle()
    posted = await api.post(me, "gone with its picture", media_ids=[media_id])
    assert _files(api, int(media_id))
    r = await api.client.delete(f"/api/v1/statuses/{posted['id']}", headers=me.headers,
                                params={"delete_media": "true"})
    assert r.status_code == 200, r.text
    await api.idle()
    pool = api.stack.posts.pool
    assert await pool.fetchval("SELECT count(*) FROM media WHERE id = $1", int(media_id)) == 0
    assert _files(api, int(media_id)) == []


async def test_an_upload_while_storage_is_down_is_503_and_writes_nothing(
        api: Api, tmp_path: Path) -> None:
    me = await api.user()
    # A gateway whose media folder cannot be made: a file lies where the folder should be.
    (tmp_path / "media-files").write_bytes(b"not a folder")
    shutil.copytree(Path(api.stack.settings.data_dir) / "secrets", tmp_path / "secrets",
                    dirs_exist_ok=True)
    pool = api.stack.posts.pool
    before = await pool.fetchval("SELECT count(*) FROM media WHERE account_id = $1", int(me.id))
    async with second_gateway(api.stack, data_dir=str(tmp_path)) as (url, _), \
            httpx.AsyncClient(base_url=url, timeout=20) as client:
        r = await client.post("/api/v2/media", headers=me.headers,
                              files={"file": ("a.png", picture(), "image/png")})
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"]
    await api.idle()
    assert await pool.fetchval("SELECT count(*) FROM media WHERE account_id = $1",
                               int(me.id)) == before
