"""The whole site: the HTTP API under ``/api/v1`` and the dashboard at ``/``.

The API's application is built as it is for API-only use, with the dashboard's image upload
path given the upload limit of its request guard, and the dashboard mounted behind every API
route.
"""

from __future__ import annotations

from fastapi import FastAPI

from ugen.api.main import MAX_UPLOAD_BYTES, Runtime, create_app
from ugen.core.config import Settings, get_settings
from ugen.web.app import UPLOAD_PATH, mount_dashboard
from ugen.web.routes.brand_kit import LOGO_UPLOAD_PATH


def create_site(settings: Settings | None = None, *, runtime_role: Runtime | None = None,
                max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """The API and the dashboard in one application (what ``ugen serve`` serves)."""
    settings = settings or get_settings()
    app = create_app(settings, runtime_role=runtime_role, max_upload_bytes=max_upload_bytes,
                     upload_paths=(UPLOAD_PATH, LOGO_UPLOAD_PATH))
    mount_dashboard(app, settings, max_upload_bytes=max_upload_bytes)
    return app
