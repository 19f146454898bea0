"""GET/PUT /tenants/me/brand-kit: defaults, replacement, and 422 on bad values."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import headers

URL = "/api/v1/tenants/me/brand-kit"
DEFAULTS = {"position": "bottom_right", "opacity": 0.8, "size": 0.2, "margin": 0.04,
            "enabled_by_default": False, "logo_url": None, "logo_width": None,
            "logo_height": None}


def test_settings_defaults_put_and_isolation(client: TestClient,
                                            make_account: object) -> None:
    (_, key), (_, other) = make_account(), make_account()  # type: ignore[operator]
    assert client.get(URL, headers=headers(key)).json() == DEFAULTS
    new = {"position": "center", "opacity": 0.5, "size": 0.4, "margin": 0.0,
           "enabled_by_default": True}
    r = client.put(URL, headers=headers(key), json=new)
    assert r.status_code == 200 and r.json() == {**DEFAULTS, **new}
    assert client.get(URL, headers=headers(key)).json() == {**DEFAULTS, **new}
    assert client.get("/api/v1/tenants/me", headers=headers(key)).json()["brand_kit"] == {
        **DEFAULTS, **new}
    # PUT replaces: omitted fields go back to their defaults.
    r = client.put(URL, headers=headers(key), json={"position": "top_left"})
    assert r.json() == {**DEFAULTS, "position": "top_left"}
    assert client.get(URL, headers=headers(other)).json() == DEFAULTS
    assert client.get(URL).status_code == 401


def test_bad_values_are_422_and_change_nothing(client: TestClient,
                                               account: tuple[str, str]) -> None:
    _, key = account
    bad = [({"opacity": 1.01}, "opacity"), ({"opacity": -0.1}, "opacity"),
           ({"size": 0.01}, "size"), ({"size": 0.41}, "size"), ({"margin": 0.5}, "margin"),
           ({"margin": -1}, "margin"), ({"position": "middle"}, "position"),
           ({"position": None}, "position"), ({"opacity": "lots"}, "opacity"),
           ({"logo_url": "http://x"}, "logo_url"), ({"enabled_by_default": "maybe"},
                                                     "enabled_by_default")]
    for body, field in bad:
        r = client.put(URL, headers=headers(key), json=body)
        assert r.status_code == 422, (body, r.text)
        assert [e["loc"] for e in r.json()["detail"]] == [["body", field]], (body, r.text)
    r = client.put(URL, headers={**headers(key), "Content-Type": "application/json"},
                   content=b'{"opacity": NaN}')
    assert r.status_code == 422
    assert client.get(URL, headers=headers(key)).json() == DEFAULTS
