"""Outbound connections on a user's behalf: the address rules and the safe fetch."""

from __future__ import annotations

from ugen.net.addresses import (
    UnsafeUrlError,
    any_address,
    check_url,
    is_public_address,
    resolve,
    split_url,
)
from ugen.net.fetch import Fetched, FetchError, FetchLimits, fetch_image, sniff_image
from ugen.net.pinning import PinnedTarget, pin

__all__ = ["FetchError", "FetchLimits", "Fetched", "PinnedTarget", "UnsafeUrlError",
           "any_address", "check_url", "fetch_image", "is_public_address", "pin", "resolve",
           "sniff_image", "split_url"]
