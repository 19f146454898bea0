"""The dashboard: server-rendered pages for the marketer, served beside the API.

:func:`create_site` builds the API with the dashboard mounted at ``/`` (what ``ugen serve``
serves); :func:`mount_dashboard` mounts it on an API application built elsewhere.
"""

from ugen.web.app import UPLOAD_PATH, create_web_app, mount_dashboard
from ugen.web.site import create_site

__all__ = ["UPLOAD_PATH", "create_site", "create_web_app", "mount_dashboard"]
