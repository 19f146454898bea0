"""``/templates`` over HTTP: create, list, read, update, delete; limits, default, order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import headers
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import Template
from ugen.store.templates import MAX_TEMPLATES

TEMPLATES = "/api/v1/templates"
Account = tuple[str, str]
DOC_CONFIG = {"video_model": "veo3_fast", "segment_count": 2, "output_aspect_ratio": "9:16",
              "interaction_mode": "display_static", "caption_style": "tiktok_karaoke",
              "captions_enabled": True, "music_enabled": True, "qai_enabled": False}


def _create(client: TestClient, key: str, name: str = "Launch", **fields: Any) -> Any:
    body = {"name": name, "config": {"segment_count": 2}, **fields}
    return client.post(TEMPLATES, headers=headers(key), json=body)


def _rows(settings: Settings, account_id: str) -> list[Template]:
    with session_scope(settings) as s:
        return list(s.scalars(select(Template).where(Template.account_id == account_id)))


def test_create_template_stores_documented_config_by_jobs_names(
        client: TestClient, settings: Settings, account: Account) -> None:
    account_id, key = account
    r = _create(client, key, description="Spring drop", config={**DOC_CONFIG,
                                                                  "persona_id": None})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "Launch" and body["description"] == "Spring drop"
    assert body["config"] == {"video_model": "veo3_fast", "segment_count": 2,
                              "aspect_ratio": "9:16", "interaction_mode": "display_static",
                              "caption_style": "tiktok_karaoke", "captions_enabled": True,
                              "music_enabled": True, "qai_mode": "lenient"}
    assert body["is_default"] is False and body["use_count"] == 0
    assert body["last_used_at"] is None
    [row] = _rows(settings, account_id)
    assert row.config == body["config"]  # the null persona_id is not stored


def test_create_template_qai_enabled_true_is_standard_and_qai_mode_wins(
        client: TestClient, account: Account) -> None:
    _, key = account
    on = _create(client, key, config={"qai_enabled": True})
    both = _create(client, key, name="b", config={"qai_enabled": True, "qai_mode": "strict"})
    assert on.json()["config"] == {"qai_mode": "standard"}
    assert both.json()["config"] == {"qai_mode": "strict"}


def test_get_template_of_another_account_is_404(client: TestClient,
                                                make_account: Callable[..., Account]) -> None:
    _, mine = make_account()
    _, theirs = make_account()
    template_id = _create(client, mine).json()["id"]
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        r = client.request(method, f"{TEMPLATES}/{template_id}", headers=headers(theirs),
                           json=body)
        assert r.status_code == 404, (method, r.text)
        assert r.json()["error"]["code"] == "TEMPLATE_NOT_FOUND"
    assert client.get(TEMPLATES, headers=headers(theirs)).json() == []
    assert client.get(f"{TEMPLATES}/{template_id}", headers=headers(mine)).status_code == 200


def test_create_template_beyond_twenty_is_409(client: TestClient, settings: Settings,
                                              account: Account) -> None:
    account_id, key = account
    for i in range(MAX_TEMPLATES):
        assert _create(client, key, name=f"t{i}").status_code == 201
    r = _create(client, key, name="one too many")
    assert r.status_code == 409, r.text
    assert r.json()["error"] == {"code": "TEMPLATE_LIMIT_REACHED", "message": r.json()[
        "error"]["message"], "details": {"max": 20, "current": 20}}
    assert len(_rows(settings, account_id)) == MAX_TEMPLATES
    first = client.get(TEMPLATES, headers=headers(key)).json()[0]["id"]
    assert client.delete(f"{TEMPLATES}/{first}", headers=headers(key)).status_code == 204
    assert _create(client, key, name="room again").status_code == 201


def test_create_default_template_unsets_previous_default(client: TestClient, settings: Settings,
                                                         account: Account) -> None:
    account_id, key = account
    first = _create(client, key, name="first", is_default=True).json()
    second = _create(client, key, name="second", is_default=True).json()
    assert second["is_default"] is True
    defaults = [t.id for t in _rows(settings, account_id) if t.is_default]
    assert defaults == [second["id"]]
    r = client.patch(f"{TEMPLATES}/{first['id']}", headers=headers(key),
                     json={"is_default": True})
    assert r.status_code == 200 and r.json()["is_default"] is True
    defaults = [t.id for t in _rows(settings, account_id) if t.is_default]
    assert defaults == [first["id"]]


def test_default_of_one_account_leaves_another_accounts_default(
        client: TestClient, settings: Settings, make_account: Callable[..., Account]) -> None:
    a_id, a = make_account()
    b_id, b = make_account()
    _create(client, a, is_default=True)
    _create(client, b, is_default=True)
    assert [t.is_default for t in _rows(settings, a_id)] == [True]
    assert [t.is_default for t in _rows(settings, b_id)] == [True]


def test_list_templates_sorted_default_then_use_count_then_updated(
        client: TestClient, settings: Settings, account: Account) -> None:
    _, key = account
    ids = {name: _create(client, key, name=name).json()["id"]
           for name in ("old", "used", "default", "new")}
    with session_scope(settings) as s:
        s.get(Template, ids["used"]).use_count = 3  # type: ignore[union-attr]
    client.patch(f"{TEMPLATES}/{ids['default']}", headers=headers(key),
                 json={"is_default": True})
    client.patch(f"{TEMPLATES}/{ids['new']}", headers=headers(key), json={"name": "new"})
    names = [t["name"] for t in client.get(TEMPLATES, headers=headers(key)).json()]
    assert names == ["default", "used", "new", "old"]
    limited = client.get(TEMPLATES, headers=headers(key), params={"limit": 2}).json()
    assert [t["name"] for t in limited] == ["default", "used"]


def test_update_template_changes_only_given_fields(client: TestClient, account: Account) -> None:
    _, key = account
    made = _create(client, key, description="d", config={"segment_count": 4}).json()
    r = client.patch(f"{TEMPLATES}/{made['id']}", headers=headers(key),
                     json={"config": {"music_enabled": False}})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["config"] == {"music_enabled": False}  # replaced whole
    assert got["name"] == "Launch" and got["description"] == "d"
    assert got["updated_at"] >= made["updated_at"]
    cleared = client.patch(f"{TEMPLATES}/{made['id']}", headers=headers(key),
                           json={"description": None}).json()
    assert cleared["description"] is None and cleared["config"] == {"music_enabled": False}


def test_delete_template_is_204_then_404(client: TestClient, settings: Settings,
                                         account: Account) -> None:
    account_id, key = account
    template_id = _create(client, key).json()["id"]
    assert client.delete(f"{TEMPLATES}/{template_id}", headers=headers(key)).status_code == 204
    assert _rows(settings, account_id) == []
    r = client.delete(f"{TEMPLATES}/{template_id}", headers=headers(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "TEMPLATE_NOT_FOUND"


def test_templates_without_key_are_401(client: TestClient) -> None:
    r = client.get(TEMPLATES)
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"


def _loc(r: Any) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in r.json()["detail"]]


@pytest.mark.parametrize(("body", "loc"), [
    ({"name": "", "config": {}}, ("body", "name")),
    ({"name": "   \n\t", "config": {}}, ("body", "name")),
    ({"name": "\u200b\u200b", "config": {}}, ("body", "name")),
    ({"name": "x" * 101, "config": {}}, ("body", "name")),
    ({"name": "a\nb", "config": {}}, ("body", "name")),
    ({"config": {}}, ("body", "name")),
    ({"name": "t"}, ("body", "config")),
    ({"name": "t", "config": None}, ("body", "config")),
    ({"name": "t", "config": {"bogus": 1}}, ("body", "config", "bogus")),
    ({"name": "t", "config": {"product_name": "Serum"}}, ("body", "config", "product_name")),
    ({"name": "t", "config": {"idempotency_key": "k"}}, ("body", "config", "idempotency_key")),
    ({"name": "t", "config": {"segment_count": 11}}, ("body", "config", "segment_count")),
    ({"name": "t", "config": {"music_volume": 2}}, ("body", "config", "music_volume")),
    ({"name": "t", "config": {"qai_enabled": "maybe"}}, ("body", "config", "qai_enabled")),
    ({"name": "t", "config": {"video_model": "sora"}}, ("body", "config")),
    ({"name": "t", "config": {"aspect_ratio": "1:1"}}, ("body", "config")),
    ({"name": "t", "config": {"key_selling_points": ["ok"] * 11}},
     ("body", "config", "key_selling_points")),
    ({"name": "t", "config": {}, "extra": 1}, ("body", "extra")),
])
def test_create_template_refuses_bad_body_with_422(client: TestClient, settings: Settings,
                                                   account: Account, body: dict[str, Any],
                                                   loc: tuple[Any, ...]) -> None:
    account_id, key = account
    r = client.post(TEMPLATES, headers=headers(key), json=body)
    assert r.status_code == 422, r.text
    assert loc in _loc(r), r.text
    assert _rows(settings, account_id) == []


def test_create_template_refuses_unknown_model_naming_the_field(client: TestClient,
                                                               account: Account) -> None:
    _, key = account
    r = _create(client, key, config={"video_model": "sora"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"].startswith("video_model: unknown video_model 'sora'")


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_create_template_refuses_non_finite_number(client: TestClient, account: Account,
                                                   raw: str) -> None:
    _, key = account
    content = '{"name": "t", "config": {"music_volume": ' + raw + "}}"
    r = client.post(TEMPLATES, headers={**headers(key), "content-type": "application/json"},
                    content=content)
    assert r.status_code == 422, r.text
    assert ("body", "config", "music_volume") in _loc(r)


def test_create_template_refuses_huge_config(client: TestClient, settings: Settings,
                                             account: Account) -> None:
    _, key = account
    huge = "word " * (settings.max_json_body_bytes // 5 + 10)
    r = _create(client, key, config={"custom_script": huge})
    assert r.status_code in (413, 422), r.text
    script = "word " * (settings.max_script_chars // 5 + 10)
    r = _create(client, key, config={"custom_script": script})
    assert r.status_code == 422 and ("body", "config") in _loc(r), r.text


def test_patch_template_refuses_null_name_and_blank_name(client: TestClient,
                                                         account: Account) -> None:
    _, key = account
    template_id = _create(client, key).json()["id"]
    for body, loc in (({"name": None}, ("body", "name")), ({"name": "  "}, ("body", "name")),
                      ({"config": None}, ("body", "config")),
                      ({"config": {"nope": True}}, ("body", "config", "nope"))):
        r = client.patch(f"{TEMPLATES}/{template_id}", headers=headers(key), json=body)
        assert r.status_code == 422, (body, r.text)
        assert loc in _loc(r), r.text
    assert client.get(f"{TEMPLATES}/{template_id}",
                      headers=headers(key)).json()["name"] == "Launch"
