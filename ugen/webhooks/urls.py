"""Which webhook URLs are acceptable: https, to a public address (after DNS resolution).

The address rules are the service's one set (:mod:`ugen.net.addresses`), shared with the
product-image fetch. ``UGEN_ALLOW_PRIVATE_URLS=1`` (local development and tests only) accepts
``http://`` and loopback, private, link-local and metadata addresses.
"""

from __future__ import annotations

from ugen.net.addresses import UnsafeUrlError, check_url, split_url


class UnsafeWebhookUrlError(UnsafeUrlError):
    """The URL is malformed, not https, or reaches a non-public address."""


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeWebhookUrlError unless ``url`` may receive webhooks."""
    try:
        if allow_private:
            split_url(url)
        else:
            check_url(url, schemes=("https",))
    except UnsafeUrlError as err:
        raise UnsafeWebhookUrlError(str(err), reason=err.reason) from err
