"""Kling's REST envelope: bearer JWT in, ``{code, message, request_id, data}`` out.

A ``code == 0`` answer's ``data`` comes back; anything else is translated once, by Kling's
documented code table (:mod:`ugen.providers.kling._errors`).
"""

from __future__ import annotations

from typing import Any

import httpx

from ugen.providers.kling._auth import TokenSource
from ugen.providers.kling._errors import PROVIDER, error_for
from ugen.providers.vendor import transport_error

__all__ = ["PROVIDER", "KlingClient", "error_for"]


class KlingClient:
    """One authenticated JSON call at a time; ``data`` of a ``code == 0`` answer comes back."""

    def __init__(self, http: httpx.Client, tokens: TokenSource) -> None:
        self.http = http
        self.tokens = tokens

    def call(self, method: str, path: str, *, timeout: float,
             json: dict[str, Any] | None = None, task_path: bool = False) -> dict[str, Any]:
        """``data`` of the answer.

        Raises:
            ProviderError: the answer was not ``code == 0`` (see ``_errors``), or the request
                failed in transport (transient).
        """
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
