"""Kling 3.0 video adapter (REST, JWT auth)."""

from ugen.providers.kling.video import DEFAULT_BASE_URL, KlingVideoProvider

__all__ = ["DEFAULT_BASE_URL", "KlingVideoProvider"]
