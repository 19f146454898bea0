"""A fake of the Google Cloud pieces behind Application Default Credentials and Cloud Storage.

``POST /token`` is the OAuth 2.0 token endpoint as a service account meets it: a form with
``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and an ``assertion`` JWT signed
RS256 with the service account's private key (``iss`` its email, ``aud`` Google's token URI,
``scope`` the scopes asked, ``iat``/``exp`` an hour apart), answered with an access token.
The key file google-auth reads (``GOOGLE_APPLICATION_CREDENTIALS``) names this endpoint as
its ``token_uri``, so google-auth's own code does the exchange: nothing is patched.

``GET /storage/v1/b/{bucket}/o/{object}?alt=media`` is the Cloud Storage JSON API's media
download (object names percent-encoded, ``/`` included), for a bearer token holding a storage
or cloud-platform scope. Vertex AI writes videos here with :meth:`FakeGoogleCloud.put`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # the assertion's audience
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
STORAGE_SCOPES = {CLOUD_PLATFORM, "https://www.googleapis.com/auth/devstorage.read_only",
                  "https://www.googleapis.com/auth/devstorage.read_write",
                  "https://www.googleapis.com/auth/devstorage.full_control"}


@dataclass
class ServiceAccount:
    """A service account with a fresh RSA key (the private half goes into the key file)."""

    email: str = "ugen-tests@fake-project.iam.gserviceaccount.com"
    project: str = "fake-project"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def key_file(self, path: Path, *, token_uri: str) -> Path:
        """Write the JSON key file as the Cloud console downloads it."""
        pem = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode("ascii")
        path.write_text(json.dumps({
            "type": "service_account", "project_id": self.project,
            "private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": pem,
            "client_email": self.email, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
            "universe_domain": "googleapis.com"}))
        return path


@dataclass
class FakeGoogleCloud:
    """The fake's state: the service account it trusts, tokens issued, objects stored."""

    account: ServiceAccount = field(default_factory=ServiceAccount)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # access token -> scopes
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/token", self._token, methods=["POST"]),
            Route("/storage/v1/b/{bucket}/o/{name:path}", self._media, methods=["GET"]),
        ])

    def put(self, uri: str, data: bytes) -> None:
        """Store ``data`` at ``gs://bucket/name``."""
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        with self._lock:
            self.objects[(bucket, name)] = data

    def authorized(self, header: str | None, *, scopes: set[str]) -> bool:
        """Whether ``Authorization: Bearer <token>`` holds a token with one of ``scopes``."""
        token = (header or "").removeprefix("Bearer ")
        with self._lock:
            granted = self.tokens.get(token)
        return granted is not None and bool(granted & scopes)

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        grant, assertion = form.get("grant_type"), form.get("assertion")
        self.requests.append({"route": "token", "grant_type": grant})
        if grant != JWT_BEARER or not isinstance(assertion, str):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(assertion, self.account.key.public_key(), algorithms=["RS256"],
                                audience=GOOGLE_TOKEN_URI, issuer=self.account.email,
                                options={"require": ["iat", "exp", "iss", "aud"]})
        except jwt.InvalidTokenError as err:
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": f"Invalid JWT Signature: {err}"},
                                status_code=400)
        if claims["exp"] - claims["iat"] > 3600 or claims["exp"] < time.time():
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": "Invalid JWT: Token must be a short-lived "
                                                      "token (60 minutes)"}, status_code=400)
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes:
            return JSONResponse({"error": "invalid_scope",
                                 "error_description": "No scopes requested"}, status_code=400)
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.tokens[token] = scopes
        self.requests[-1]["scopes"] = sorted(scopes)
        return JSONResponse({"access_token": token, "expires_in": 3599,
                             "token_type": "Bearer"})

    async def _media(self, request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        self.requests.append({"route": "media", "bucket": bucket, "name": name})
        if request.query_params.get("alt") != "media":
            return JSONResponse({"error": {"code": 400, "message": "this fake serves media"}},
                                status_code=400)
        if not self.authorized(request.headers.get("authorization"), scopes=STORAGE_SCOPES):
            return JSONResponse({"error": {"code": 401, "message": "Invalid Credentials"}},
                                status_code=401)
        with self._lock:
            data = self.objects.get((bucket, name))
        if data is None:
            return JSONResponse({"error": {"code": 404,
                                           "message": f"No such object: {bucket}/{name}"}},
                                status_code=404)
        return Response(data, media_type="video/mp4")
