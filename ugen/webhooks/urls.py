"""Which webhook URLs are acceptable: https, to a public address (after DNS resolution).

The address rules are the service's one set (:mod:`ugen.net.addresses`), shared with the
product-image fetch. ``UGEN_ALLOW_PRIVATE_URLS=1`` (local development and tests only) accepts
``http://`` and loopback, private, link-local and metadata addresses.

:func:`check_webhook_url` answers whether a URL may be configured; a delivery uses
:func:`checked_webhook_url`, whose resolved address is the one it connects to.
"""

from __future__ import annotations

from ugen.net.addresses import (
    CheckedUrl,
    Resolver,
    UnsafeUrlError,
    any_address,
    check_url,
    resolve,
    split_url,
)


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


def checked_webhook_url(url: str, *, allow_private: bool,
                        resolver: Resolver = resolve) -> CheckedUrl:
    """Resolve ``url`` once and check it; connect to the returned ``address`` only.

    Raises:
        UnsafeWebhookUrlError: malformed, not https, unresolvable, or an address not public
            (with ``allow_private``: http and every address are accepted).
    """
    try:
        if allow_private:
            return check_url(url, allow=any_address, resolver=resolver)
        return check_url(url, schemes=("https",), resolver=resolver)
    except UnsafeUrlError as err:
        raise UnsafeWebhookUrlError(str(err), reason=err.reason) from err
