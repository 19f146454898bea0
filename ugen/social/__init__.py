"""Posting finished videos to social platforms: one adapter per platform behind one interface.

``base`` holds the interface and its value objects, ``errors`` the error tree, ``oauth`` the
state and PKCE helpers, ``specs`` the pre-flight check of a video against a platform's
limits, ``connections`` the stored accounts (tokens sealed, refreshed before expiry),
``registry`` builds an adapter from the settings; ``youtube`` is the YouTube Data API v3
adapter, ``tiktok`` the TikTok Content Posting API (Direct Post) adapter with its error table
in ``_tiktok_errors``, ``instagram`` the Instagram Reels adapter (Instagram Login, Graph API)
with its table in ``_instagram_errors``. The durable post workflow that strings them together is
:mod:`ugen.pipeline.posting`.
"""
