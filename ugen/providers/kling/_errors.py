"""Kling's error codes, translated once into the provider error tree, by table.

Kling answers ``{code, message, request_id}`` with an HTTP status; the code decides. The
table is Kling's documented one (API reference, "General Information → Error Code"):

=====  ====  ====================================================  =========================
HTTP   code  meaning                                               raised
=====  ====  ====================================================  =========================
401    1000  authentication failed                                 VendorAuthError
401    1001  Authorization is empty                                VendorAuthError
401    1002  Authorization is invalid                              VendorAuthError
401    1003  Authorization is not yet valid                        VendorAuthError
401    1004  Authorization has expired                             VendorAuthError
429    1100  account exception (check the account's setup)         VendorConfigError
429    1101  account in arrears (postpaid)                         VendorQuotaError
429    1102  resource pack depleted or expired (prepaid)           VendorQuotaError
403    1103  no permission for the resource (API or model)         VendorAuthError
400    1200  invalid request parameters                            PermanentProviderError
400    1201  invalid parameters (key or value)                     PermanentProviderError ¹
404    1202  invalid request method                                PermanentProviderError
404    1203  the requested resource does not exist (e.g. model)    PermanentProviderError ¹
400    1300  the platform's policy was triggered                   ContentPolicyError
400    1301  the platform's content safety policy                  ContentPolicyError
429    1302  requests too fast (rate limit)                        TransientProviderError
429    1303  concurrency or QPS over the resource pack's limit     TransientProviderError
429    1304  the platform's IP whitelist policy                    VendorConfigError
500    5000  server internal error                                 TransientProviderError
503    5001  server temporarily unavailable (maintenance)          TransientProviderError
504    5002  server internal timeout (backlog)                     TransientProviderError
=====  ====  ====================================================  =========================

¹ On a task lookup (``GET …/{task_id or external_task_id}``) 1201 and 1203 mean the task is
unknown: :class:`VendorTaskGoneError`. The live API answers an unknown task or external id
with HTTP 400 and code 1201 ("Task not found by id/external id: …"), not 404.

A code the table does not know falls back on its HTTP status (401/403 auth, 429 rate limit,
5xx server, 404 on a task lookup gone, other 4xx invalid). Kling does not document
``Retry-After``; it is honoured when present, else a rate limit waits
``DEFAULT_RETRY_AFTER_S``. Messages carry the vendor's ``message``, ``code`` and
``request_id``, never the token or the keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from ugen.providers.vendor import (
    VendorAuthError,
    VendorConfigError,
    VendorQuotaError,
    VendorTaskGoneError,
    retry_after_s,
)

PROVIDER = "kling"
DEFAULT_RETRY_AFTER_S = 2.0

Kind = Literal["auth", "config", "quota", "invalid", "policy", "rate", "server"]


@dataclass(frozen=True)
class KlingCode:
    """One documented row: the HTTP status Kling pairs with the code, and what it means."""

    http: int
    meaning: str
    kind: Kind
    task_unknown: bool = False  # on a task lookup, the task does not exist


CODES: dict[int, KlingCode] = {
    1000: KlingCode(401, "authentication failed", "auth"),
    1001: KlingCode(401, "Authorization is empty", "auth"),
    1002: KlingCode(401, "Authorization is invalid", "auth"),
    1003: KlingCode(401, "Authorization is not yet valid", "auth"),
    1004: KlingCode(401, "Authorization has expired", "auth"),
    1100: KlingCode(429, "account exception", "config"),
    1101: KlingCode(429, "account in arrears", "quota"),
    1102: KlingCode(429, "resource pack depleted or expired", "quota"),
    1103: KlingCode(403, "no permission for the requested resource", "auth"),
    1200: KlingCode(400, "invalid request parameters", "invalid"),
    1201: KlingCode(400, "invalid parameters", "invalid", task_unknown=True),
    1202: KlingCode(404, "invalid request method", "invalid"),
    1203: KlingCode(404, "the requested resource does not exist", "invalid", task_unknown=True),
    1300: KlingCode(400, "the platform's policy was triggered", "policy"),
    1301: KlingCode(400, "the platform's content safety policy was triggered", "policy"),
    1302: KlingCode(429, "requests too fast", "rate"),
    1303: KlingCode(429, "concurrency over the resource pack's limit", "rate"),
    1304: KlingCode(429, "the platform's IP whitelist policy was triggered", "config"),
    5000: KlingCode(500, "server internal error", "server"),
    5001: KlingCode(503, "server temporarily unavailable", "server"),
    5002: KlingCode(504, "server internal timeout", "server"),
}


def _kind_by_status(status: int) -> Kind:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate"
    if status >= 500:
        return "server"
    return "invalid"


def error_for(response: httpx.Response, body: dict[str, Any], *,
              task_path: bool = False) -> ProviderError:
    """The provider error for a failed Kling answer (``task_path``: a task lookup)."""
    status = response.status_code
    code = body.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    request_id = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    vendor_message = str(body.get("message") or response.reason_phrase or "no message")
    message = f"kling: {vendor_message} (HTTP {status}, code {code})"
    kw: dict[str, Any] = {"provider": PROVIDER, "request_id": request_id}
    row = CODES.get(code) if code is not None else None
    if task_path and ((row is not None and row.task_unknown) or (row is None and status == 404)):
        return VendorTaskGoneError(message, **kw)
    kind = row.kind if row is not None else _kind_by_status(status)
    if kind == "auth":
        return VendorAuthError(message, **kw)
    if kind == "config":
        return VendorConfigError(message, **kw)
    if kind == "quota":
        return VendorQuotaError(message, **kw)
    if kind == "policy":
        return ContentPolicyError(message, **kw)
    if kind == "rate":
        wait = retry_after_s(response)
        return TransientProviderError(
            message, retry_after=DEFAULT_RETRY_AFTER_S if wait is None else wait, **kw)
    if kind == "server":
        return TransientProviderError(message, retry_after=retry_after_s(response), **kw)
    return PermanentProviderError(message, **kw)
