"""Logo and avatar uploads: recognised by content, 2 MB while streaming, an SVG checked and
rasterised without any fetch, kept and served as PNG, a replaced file deleted."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import resvg_py
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.conftest import headers
from tests.brand.conftest import LOGO_COLOUR, picture_bytes, red_svg
from ugen.core.config import Settings
from ugen.media.safe_svg import rasterise_svg
from ugen.store.artifacts import artifact_store

LOGO = "/api/v1/tenants/me/brand-kit/logo"
AVATAR = "/api/v1/tenants/me/avatar"
LIMIT = 2 * 1024 * 1024


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server: its base URL and the paths it was asked for."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            body = picture_bytes("PNG", (10, 10))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _brand_files(settings: Settings, account_id: str) -> list[str]:
    return sorted(o.key for o in artifact_store(settings).iter_keys(f"brand/{account_id}/"))


def _png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize(("name", "data", "size"), [
    ("logo.png", picture_bytes("PNG", (200, 100)), (200, 100)),
    ("logo.webp", picture_bytes("WEBP", (120, 240)), (120, 240)),
    ("logo.svg", red_svg(), (1024, 512)),
    ("big.png", picture_bytes("PNG", (3000, 1500)), (1024, 512)),
])
def test_logo_formats_kept_and_served_as_png(client: TestClient, account: tuple[str, str],
                                             name: str, data: bytes,
                                             size: tuple[int, int]) -> None:
    _, key = account
    r = client.post(LOGO, headers=headers(key), files={"file": (name, data, "text/plain")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["logo_width"], body["logo_height"]) == size
    assert body["logo_url"].startswith("/api/v1/brand-files/")
    served = client.get(body["logo_url"])  # the signature is the capability: no key
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    img = _png(served.content)
    assert img.format == "PNG" and img.size == size
    centre = tuple(img.convert("RGB").getpixel((size[0] // 2, size[1] // 2)))  # type: ignore[arg-type]
    assert max(abs(a - b) for a, b in zip(centre, LOGO_COLOUR, strict=True)) <= 2  # WebP: lossy
    assert client.get(body["logo_url"].replace("signature=", "signature=0")).status_code == 403


def test_replacing_the_logo_deletes_the_old_one(client: TestClient, settings: Settings,
                                                account: tuple[str, str]) -> None:
    account_id, key = account
    first = client.post(LOGO, headers=headers(key),
                        files={"file": ("a.png", picture_bytes("PNG"), "image/png")}).json()
    assert len(_brand_files(settings, account_id)) == 1
    second = client.post(LOGO, headers=headers(key),
                         files={"file": ("b.svg", red_svg(), "image/svg+xml")}).json()
    files = _brand_files(settings, account_id)
    assert len(files) == 1 and files[0].endswith(".png")
    name = files[0].rpartition("/")[2]
    assert name in second["logo_url"] and name not in first["logo_url"]
    assert client.get(first["logo_url"]).status_code == 404
    got = client.get("/api/v1/tenants/me/brand-kit", headers=headers(key)).json()
    assert got["logo_width"] == 1024


UNSAFE = [
    '<image href="{url}/href.png" width="10" height="10"/>',
    '<image xlink:href="{url}/xlink.png" width="10" height="10"/>',
    '<rect width="5" height="5" style="fill:url({url}/style.svg#p)"/>',
    '<style>@import url("{url}/import.css");</style>',
    '<use href="{url}/use.svg#a"/>',
    '<script>fetch("{url}/script")</script>',
    '<rect width="5" height="5" onload="fetch(\'{url}/onload\')"/>',
    '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="{url}/fo"/></foreignObject>',
    '<image href="file:///etc/hostname" width="10" height="10"/>',
    '<text x="0" y="20">Brand</text>',
]


def test_unsafe_svg_refused_and_nothing_fetched(
        client: TestClient, settings: Settings, account: tuple[str, str],
        listener: tuple[str, list[str]]) -> None:
    account_id, key = account
    url, seen = listener
    for extra in UNSAFE:
        svg = red_svg(extra.format(url=url))
        r = client.post(LOGO, headers=headers(key),
                        files={"file": ("x.svg", svg, "image/svg+xml")})
        assert r.status_code == 422, (extra, r.text)
        (entry,) = r.json()["detail"]
        assert entry["loc"] == ["body", "file"] and "SVG" in entry["msg"]
    assert seen == [] and _brand_files(settings, account_id) == []


DOCTYPES = [
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "{url}/svg11.dtd">',
]


def test_doctype_and_entities_refused(client: TestClient, account: tuple[str, str],
                                      listener: tuple[str, list[str]]) -> None:
    _, key = account
    url, seen = listener
    for head in DOCTYPES:
        svg = red_svg("<desc>&c;&xxe;</desc>" if "ENTITY" in head else "", head.format(url=url))
        r = client.post(LOGO, headers=headers(key),
                        files={"file": ("x.svg", svg, "image/svg+xml")})
        assert r.status_code == 422, r.text
        assert "DOCTYPE" in r.json()["detail"][0]["msg"]
    assert seen == []


def test_the_renderer_itself_fetches_nothing(listener: tuple[str, list[str]]) -> None:
    """Past the checks, resvg draws an outside image as nothing: no request leaves."""
    url, seen = listener
    svg = red_svg(f'<image href="{url}/direct.png" x="0" y="0" width="100" height="100"/>')
    png = resvg_py.svg_to_bytes(svg_string=svg.decode(), width=200, height=100,
                                skip_system_fonts=True)
    assert _png(bytes(png)).convert("RGB").getpixel((50, 50)) == LOGO_COLOUR
    assert seen == []
    assert rasterise_svg(red_svg()).size == (1024, 512)


def test_wrong_empty_and_oversize_uploads(client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    for url, name, data in [(LOGO, "x.jpg", picture_bytes("JPEG")),
                            (LOGO, "x.png", b"%PDF-1.4 not a picture" * 10),
                            (AVATAR, "x.svg", red_svg()),
                            (AVATAR, "x.gif", picture_bytes("GIF"))]:
        r = client.post(url, headers=headers(key), files={"file": (name, data, "image/png")})
        assert r.status_code == 415, (url, name, r.text)
        assert r.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert "image/png" in r.json()["error"]["details"]["accepted"]
    for url in (LOGO, AVATAR):
        r = client.post(url, headers=headers(key), files={"file": ("e.png", b"", "image/png")})
        assert r.status_code == 400 and r.json()["error"]["code"] == "EMPTY_FILE"
        big = picture_bytes("PNG") + b"\0" * LIMIT
        r = client.post(url, headers=headers(key), files={"file": ("b.png", big, "image/png")})
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "FILE_TOO_LARGE"
        assert r.json()["error"]["details"] == {"limit_bytes": LIMIT}
        r = client.post(url, headers=headers(key), data={"file": "text"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
        assert client.post(url, files={"file": ("a.png", picture_bytes("PNG"))}
                           ).status_code == 401


def test_chunked_oversize_refused_while_streaming(client: TestClient,
                                                  account: tuple[str, str]) -> None:
    _, key = account
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                b"Content-Type: image/png\r\n\r\n")
        yield head
        for _ in range(16):  # 4 MB in all, past the limit
            sent += 1
            yield b"\0" * (256 * 1024)
        yield b"\r\n--b--\r\n"

    r = client.post(LOGO, headers={**headers(key),
                                   "Content-Type": "multipart/form-data; boundary=b"},
                    content=body())
    assert r.status_code == 413 and r.json()["error"]["code"] == "FILE_TOO_LARGE"
    assert sent > 0


def test_avatar_formats_replace_and_profile(client: TestClient, settings: Settings,
                                            account: tuple[str, str]) -> None:
    account_id, key = account
    me = client.get("/api/v1/tenants/me", headers=headers(key)).json()
    assert me["id"] == account_id and me["name"] == "acct-0"
    assert (me["credit_balance"], me["available_credits"], me["avatar_url"]) == (1000, 1000, None)
    assert me["brand_kit"]["logo_url"] is None and me["brand_kit"]["position"] == "bottom_right"
    urls = []
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")):
        r = client.post(AVATAR, headers=headers(key),
                        files={"file": (f"a.{ext}", picture_bytes(fmt, (64, 64)), "x/y")})
        assert r.status_code == 201, r.text
        urls.append(r.json()["avatar_url"])
        files = _brand_files(settings, account_id)
        assert len(files) == 1 and files[0].endswith(f".{ext}")
        served = client.get(urls[-1])
        assert served.status_code == 200 and _png(served.content).format == fmt
    assert client.get(urls[0]).status_code == 404  # the replaced one is gone
    me = client.get("/api/v1/tenants/me", headers=headers(key)).json()
    assert me["avatar_url"].split("?")[0] == urls[-1].split("?")[0]
