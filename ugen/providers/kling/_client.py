"""Kling's REST envelope: bearer JWT in, ``{code, message, request_id, data}`` out.

Errors are translated here, once (codes from Kling's error table):

=====================  ===========================================  ==========================
HTTP / ``code``        meaning                                      raised
=====================  ===========================================  ==========================
401, 1000–1004         authentication failed / token invalid        VendorAuthError
1100–1103              account in arrears, resource pack depleted   VendorQuotaError
1301                   content refused by the platform's policy     ContentPolicyError
429, 1302, 1303        rate or concurrency limit                    TransientProviderError
5xx, 5000–5999         server error                                 TransientProviderError
404 on a task path     the task is unknown (gone)                   VendorTaskGoneError
other 4xx / codes      invalid request                              PermanentProviderError
=====================  ===========================================  ==========================

Kling does not document ``Retry-After``; it is honoured when present, else a 429 waits
``DEFAULT_RETRY_AFTER_S``. The token and keys never appear in an error: messages carry the
vendor's ``message``, ``code`` and ``request_id`` only.
"""

from __future__ import annotations

from typing import Any

import httpx

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from ugen.providers.kling._auth import TokenSource
from ugen.providers.vendor import (
    VendorAuthError,
    VendorQuotaError,
    VendorTaskGoneError,
    retry_after_s,
    transport_error,
)

PROVIDER = "kling"
DEFAULT_RETRY_AFTER_S = 2.0


class KlingClient:
    """One authenticated JSON call at a time; ``data`` of a ``code == 0`` answer comes back."""

    def __init__(self, http: httpx.Client, tokens: TokenSource) -> None:
        self.http = http
        self.tokens = tokens

    def call(self, method: str, path: str, *, timeout: float,
             json: dict[str, Any] | None = None, task_path: bool = False) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens.token()}",
                   "Content-Type": "application/json"}
        try:
            response = self.http.request(method, path, json=json, headers=headers,
                                         timeout=timeout)
        except httpx.HTTPError as err:
            raise transport_error(PROVIDER, err) from err
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        code = body.get("code")
        if response.status_code == 200 and code == 0:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        raise error_for(response, body, task_path=task_path)


def error_for(response: httpx.Response, body: dict[str, Any], *,
              task_path: bool = False) -> ProviderError:
    """The provider error for a failed Kling answer."""
    status = response.status_code
    code = body.get("code")
    code = code if isinstance(code, int) else None
    request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    vendor_message = str(body.get("message") or response.reason_phrase or "no message")
    message = f"kling: {vendor_message} (HTTP {status}, code {code})"
    kw: dict[str, Any] = {"provider": PROVIDER, "request_id": request_id}
    if status == 401 or (code is not None and 1000 <= code <= 1004):
        return VendorAuthError(message, **kw)
    if code is not None and 1100 <= code <= 1103:
        return VendorQuotaError(message, **kw)
    if code == 1301:
        return ContentPolicyError(message, **kw)
    if status == 429 or code in (1302, 1303):
        wait = retry_after_s(response)
        return TransientProviderError(
            message, retry_after=DEFAULT_RETRY_AFTER_S if wait is None else wait, **kw)
    if status >= 500 or (code is not None and 5000 <= code <= 5999):
        return TransientProviderError(message, retry_after=retry_after_s(response), **kw)
    if status == 404 and task_path:
        return VendorTaskGoneError(message, **kw)
    return PermanentProviderError(message, **kw)
