"""Build the adapter of a platform from the settings (its OAuth client must be configured)."""

from __future__ import annotations

from ugen.core.config import Settings
from ugen.social.base import PLATFORMS, SocialPlatform
from ugen.social.errors import PlatformNotConfiguredError


def platform_for(settings: Settings, name: str) -> SocialPlatform:
    """The adapter of ``name``.

    Raises:
        PlatformNotConfiguredError: an unknown platform, one not supported yet, or one whose
            OAuth client id and secret are not set.
    """
    if name not in PLATFORMS:
        raise PlatformNotConfiguredError(
            f"unknown platform {name!r}; choose from {', '.join(PLATFORMS)}", platform=name,
            reason="unknown_platform")
    if name == "youtube":
        from ugen.social.youtube import YouTube

        if settings.youtube_client_id is None or settings.youtube_client_secret is None:
            raise PlatformNotConfiguredError(
                "YouTube is not configured: set UGEN_YOUTUBE_CLIENT_ID and "
                "UGEN_YOUTUBE_CLIENT_SECRET", platform=name, reason="not_configured")
        return YouTube(settings, client_id=settings.youtube_client_id,
                       client_secret=settings.youtube_client_secret.get_secret_value())
    if name == "tiktok":
        from ugen.social.tiktok import TikTok

        if settings.tiktok_client_key is None or settings.tiktok_client_secret is None:
            raise PlatformNotConfiguredError(
                "TikTok is not configured: set UGEN_TIKTOK_CLIENT_KEY and "
                "UGEN_TIKTOK_CLIENT_SECRET", platform=name, reason="not_configured")
        return TikTok(settings, client_key=settings.tiktok_client_key,
                      client_secret=settings.tiktok_client_secret.get_secret_value())
    if name == "instagram":
        from ugen.social.instagram import Instagram

        if settings.instagram_client_id is None or settings.instagram_client_secret is None:
            raise PlatformNotConfiguredError(
                "Instagram is not configured: set UGEN_INSTAGRAM_CLIENT_ID and "
                "UGEN_INSTAGRAM_CLIENT_SECRET", platform=name, reason="not_configured")
        return Instagram(settings, client_id=settings.instagram_client_id,
                         client_secret=settings.instagram_client_secret.get_secret_value())
    raise PlatformNotConfiguredError(f"posting to {name} is not supported yet", platform=name,
                                     reason="not_supported")
