"""Cloud Storage for the Veo adapter: Application Default Credentials and the media download.

Vertex writes a video to ``UGEN_VEO_OUTPUT_GCS_URI`` and answers its ``gs://`` URI; the
google-genai SDK cannot fetch it on Vertex (``client.files.download`` is Gemini API only), so
it is downloaded through the Cloud Storage JSON API
(``GET /storage/v1/b/{bucket}/o/{object}?alt=media``, the object name percent-encoded) with
an OAuth token from Application Default Credentials. google-auth errors are translated here.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import quote

import google.auth
import google.auth.exceptions
import google.auth.transport.requests

from ugen.providers.base import PermanentProviderError, ProviderError, TransientProviderError
from ugen.providers.vendor import MissingCredentialsError, VendorAuthError

PROVIDER = "veo"
GCS_BASE_URL = "https://storage.googleapis.com"
GCS_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"


def media_url(uri: str, *, base_url: str = GCS_BASE_URL) -> str:
    """The JSON API media URL of ``gs://bucket/object``.

    Raises:
        PermanentProviderError: ``uri`` does not name a Cloud Storage object.
    """
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise PermanentProviderError(f"{PROVIDER}: not a Cloud Storage object: {uri!r}",
                                     provider=PROVIDER)
    return (f"{base_url.rstrip('/')}/storage/v1/b/{quote(bucket, safe='')}/o/"
            f"{quote(name, safe='')}?alt=media")


def storage_endpoint() -> str:
    """Cloud Storage's endpoint, or the one ``STORAGE_EMULATOR_HOST`` names (the variable
    Google's storage clients read; a host without a scheme is taken as ``http://``)."""
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
    if not host:
        return GCS_BASE_URL
    return host if "://" in host else f"http://{host}"


def auth_error(err: google.auth.exceptions.GoogleAuthError) -> ProviderError:
    """The provider error for a google-auth failure (its message names no secret)."""
    if isinstance(err, google.auth.exceptions.DefaultCredentialsError):
        return MissingCredentialsError(
            f"{PROVIDER}: no Application Default Credentials (set "
            f"GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run where ADC "
            f"is available): {err}", provider=PROVIDER)
    retryable = getattr(err, "retryable", False)
    if isinstance(err, google.auth.exceptions.TransportError) or retryable:
        return TransientProviderError(f"{PROVIDER}: Google sign-in failed for now: {err}",
                                      provider=PROVIDER)
    return VendorAuthError(f"{PROVIDER}: Google credentials were refused: {err}",
                           provider=PROVIDER)


class AdcTokenSource:
    """OAuth access tokens for Cloud Storage from Application Default Credentials.

    The credentials are found once and refreshed only when their token is missing or about
    to expire; safe to share between threads.

    Raises (on call):
        MissingCredentialsError: no ADC found.
        VendorAuthError: the token endpoint refused the credentials.
        TransientProviderError: the token endpoint could not be reached.
    """

    def __init__(self, scopes: tuple[str, ...] = (GCS_SCOPE,)) -> None:
        self.scopes = scopes
        self._credentials: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            try:
                if self._credentials is None:
                    self._credentials, _ = google.auth.default(scopes=list(self.scopes))
                if not self._credentials.valid:
                    self._credentials.refresh(google.auth.transport.requests.Request())
            except google.auth.exceptions.GoogleAuthError as err:
                raise auth_error(err) from err
            return str(self._credentials.token)
