"""The dashboard's Music page (catalog previews, upload, delete) and the new-ad form's track."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.music.conftest import make_audio
from tests.web.conftest import (  # noqa: F401  (fixtures of the dashboard tests)
    Account,
    Browser,
    app_settings,
    browser,
    make_account,
)
from ugen.web.forms import read_job_form


def test_music_page_lists_catalog_with_playable_previews(
        browser: Callable[..., Browser]) -> None:  # noqa: F811
    b = browser()
    page = b.client.get("/music")
    assert page.status_code == 200
    assert '<a href="/music" aria-current="page">Music</a>' in page.text
    previews = re.findall(r'<audio controls preload="none" src="([^"]+)"', page.text)
    assert len(previews) >= 10
    clip = b.client.get(previews[0].replace("&amp;", "&"))
    assert clip.status_code == 200 and clip.headers["content-type"] == "audio/mp4"
    assert 'id="no-custom"' in page.text


def test_upload_pick_and_delete_a_track(browser: Callable[..., Browser],  # noqa: F811
                                        tmp_path: Path) -> None:
    b, stranger = browser(), browser()
    data = make_audio(tmp_path, "wav", 1.5).read_bytes()
    files = {"file": ("x.wav", data, "audio/wav")}
    forged = b.client.post("/music/upload", data={"title": "Theme", "csrf_token": "forged"},
                           files=files)
    assert forged.status_code == 403
    r = b.client.post("/music/upload", data={"title": "Shop theme", "csrf_token": b.csrf},
                      files=files, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/music?saved=uploaded"
    page = b.client.get("/music?saved=uploaded").text
    assert "Track uploaded." in page and "Shop theme" in page
    music_id = re.search(r'id="m-([0-9a-f-]{36})"', page).group(1)  # type: ignore[union-attr]
    assert "Shop theme" not in stranger.client.get("/music").text

    bad = b.client.post("/music/upload", data={"title": "Not music", "csrf_token": b.csrf},
                        files={"file": ("x.mp3", b"hello" * 100, "audio/mpeg")})
    assert bad.status_code == 415 and "MP3, WAV, OGG, AAC or M4A" in bad.text

    form = b.client.get("/new").text
    assert f'value="custom:{music_id}"' in form and 'value="track:chill-night-drive"' in form
    assert f'value="custom:{music_id}"' not in stranger.client.get("/new").text
    chosen = read_job_form({"product_name": "Serum", "music_choice": f"custom:{music_id}"})
    assert chosen.options is not None and chosen.options.custom_music_id == music_id
    track = read_job_form({"product_name": "Serum", "music_choice": "track:chill-soft-focus"})
    assert track.options is not None and track.options.music_track_id == "chill-soft-focus"

    assert stranger.client.post(f"/music/custom/{music_id}/delete",
                                data={"csrf_token": stranger.csrf}).status_code == 404
    r = b.client.post(f"/music/custom/{music_id}/delete", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    page = b.client.get("/music").text
    assert "Shop theme" not in page and "Track deleted." not in page
    assert f'value="custom:{music_id}"' not in b.client.get("/new").text
