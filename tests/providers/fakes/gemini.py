"""A fake Gemini API: ``POST /v1beta/models/{model}:generateContent`` with real answers.

It checks what the documentation asks of a request: the ``x-goog-api-key`` header (a bad
key is refused as Google does, 400 ``API_KEY_INVALID``), ``contents`` of ``parts`` with
``text`` and ``inlineData`` images (base64 PNG/JPEG), and the ``generationConfig``: a JSON
answer needs ``responseMimeType: application/json`` and a schema; an image answer needs
``responseModalities: [IMAGE]`` and a documented ``imageConfig.aspectRatio``. It answers a
script fitting the request read back from the prompt, a verdict from the first image's
pixels, or a PNG of the references composed at the aspect ratio; a prompt with "forbidden"
is blocked (``promptFeedback.blockReason``). Scripted failures answer first.

Models are checked as the Gemini API does: ``GET /v1beta/models`` (``models.list``, paged by
``pageSize`` and ``pageToken``) lists :data:`LIVE_MODELS`; a call to a model not listed, or
shut down (:mod:`tests.providers.fakes.retired_models`), is answered 404 ``NOT_FOUND``; an
image answer is given by the image models only; a ``temperature`` is refused by the models
that do not take one (400 ``INVALID_ARGUMENT``).
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageFilter, ImageOps
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.fakes.faults import Faults
from tests.providers.fakes.media import decode_image
from tests.providers.fakes.openai import draft_for, pixel_verdict
from tests.providers.fakes.retired_models import RETIRED, RetiredModel, retired
from ugen.providers.script_schema import REQUEST_MARK

ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# The Gemini API's models on 2026-12-05 (its models page, deprecations page and changelog).
IMAGE_MODELS = ("gemini-nano-banana-2.1", "gemini-3.1-flash-lite-image", "gemini-3-pro-image",
                "gemini-3.1-flash-image")
LIVE_MODELS = ("gemini-3.8-flash", "gemini-3.6-flash", "gemini-3.5-flash-lite",
               "gemini-3.1-flash-lite", "gemini-3.1-pro-preview", "gemini-2.5-flash-lite",
               *IMAGE_MODELS)
# Models that refuse a custom temperature (Vertex AI and gateway reports for 3.6 Flash and
# 3.5 Flash-Lite: "does not support the temperature parameter").
NO_TEMPERATURE = ("gemini-3.6-flash", "gemini-3.5-flash-lite")


def google_error(code: int, status: str, message: str,
                 details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "details": details or []}}


def b64(data: str) -> bytes:
    """Base64 in either alphabet (the SDK sends the URL-safe one, curl samples the standard)."""
    return base64.b64decode(data.replace("-", "+").replace("_", "/"), validate=True)


def _unknown_schema_field(node: Any) -> str | None:
    """A JSON Schema keyword that ``responseSchema`` (an OpenAPI subset) does not know."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("additionalProperties", "additional_properties", "$ref", "$defs"):
                return str(key)
            found = _unknown_schema_field(value) if key != "properties" else next(
                (f for v in value.values() if (f := _unknown_schema_field(v))), None)
            if found:
                return found
    if isinstance(node, list):
        return next((f for v in node if (f := _unknown_schema_field(v))), None)
    return None


def _answer(parts: list[dict[str, Any]], model: str, finish: str = "STOP") -> JSONResponse:
    return JSONResponse({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish,
                        "index": 0}],
        "usageMetadata": {"promptTokenCount": 700, "candidatesTokenCount": 300,
                          "totalTokenCount": 1000},
        "modelVersion": model})


@dataclass
class FakeGemini:
    """The fake's state: its key, what it received, failures and bad answers to give."""

    api_key: str
    faults: Faults = field(default_factory=Faults)
    requests: list[dict[str, Any]] = field(default_factory=list)
    bad_scripts: int = 0
    models: tuple[str, ...] = LIVE_MODELS
    retired_models: tuple[RetiredModel, ...] = RETIRED
    max_page_size: int = 1000  # the API's documented largest page

    @property
    def app(self) -> Starlette:
        # The REST reference shows v1beta; google-genai 3.x calls v1. Both are served.
        versions = ("v1beta", "v1")
        return Starlette(routes=[
            *(Route(f"/{v}/models/{{target}}", self._generate, methods=["POST"])
              for v in versions),
            *(Route(f"/{v}/models", self._list_models, methods=["GET"]) for v in versions),
        ])

    def offered(self) -> list[str]:
        return [m for m in self.models
                if retired("gemini", m, table=self.retired_models) is None]

    def _guard(self, request: Request) -> Response | None:
        if request.headers.get("x-goog-api-key") != self.api_key:
            return JSONResponse(google_error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                  "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]), status_code=400)
        fault = self.faults.pop()
        if fault is not None:
            return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)
        return None

    async def _list_models(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        self.requests.append({"route": "models", "query": dict(request.query_params)})
        try:
            size = min(int(request.query_params.get("pageSize", "50")), self.max_page_size)
            start = int(request.query_params.get("pageToken") or 0)
        except ValueError:
            return JSONResponse(google_error(400, "INVALID_ARGUMENT", "bad page"), 400)
        names = self.offered()
        page = [{"name": f"models/{m}", "version": "001", "displayName": m,
                 "supportedGenerationMethods": ["generateContent", "countTokens"]}
                for m in names[start:start + max(size, 1)]]
        answer: dict[str, Any] = {"models": page}
        if start + max(size, 1) < len(names):
            answer["nextPageToken"] = str(start + max(size, 1))
        return JSONResponse(answer)

    async def _generate(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        model, _, action = request.path_params["target"].partition(":")
        body = await request.json()
        self.requests.append({"model": model, "body": body})
        if action != "generateContent":
            return JSONResponse(google_error(404, "NOT_FOUND", "unknown method"), 404)
        if model not in self.offered():
            version = request.url.path.split("/")[1]
            return JSONResponse(google_error(
                404, "NOT_FOUND", f"models/{model} is not found for API version {version}, or "
                "is not supported for generateContent. Call ListModels to see the list of "
                "available models and their supported methods."), 404)
        if model in NO_TEMPERATURE and "temperature" in body.get("generationConfig", {}):
            return JSONResponse(google_error(
                400, "INVALID_ARGUMENT", f"{model} does not support the temperature "
                "parameter."), 400)
        try:
            parts = [p for c in body["contents"] for p in c["parts"]]
            texts = [p["text"] for p in parts if "text" in p]
            images = [decode_image(b64(p["inlineData"]["data"]))
                      for p in parts if "inlineData" in p]
        except (KeyError, TypeError, ValueError) as err:
            return JSONResponse(google_error(400, "INVALID_ARGUMENT", f"bad contents: {err}"),
                                400)
        config = body.get("generationConfig", {})
        if any("forbidden" in t for t in texts):
            return JSONResponse({"promptFeedback": {"blockReason": "SAFETY"},
                                 "usageMetadata": {"promptTokenCount": 10,
                                                   "totalTokenCount": 10}})
        if "IMAGE" in config.get("responseModalities", []):
            if model not in IMAGE_MODELS:
                return JSONResponse(google_error(
                    400, "INVALID_ARGUMENT", f"{model} does not support the requested "
                    "response modalities: image"), 400)
            return self._image(model, config, texts, images)
        schema = config.get("responseSchema") or config.get("responseJsonSchema")
        if config.get("responseMimeType") != "application/json" or not schema:
            return JSONResponse(google_error(400, "INVALID_ARGUMENT",
                                             "this fake answers JSON with a schema"), 400)
        unknown = _unknown_schema_field(schema) if config.get("responseSchema") else None
        if unknown:
            return JSONResponse(google_error(
                400, "INVALID_ARGUMENT", f'Unknown name "{unknown}" at '
                "'generation_config.response_schema': Cannot find field."), 400)
        props = schema.get("properties", {})
        if "lines" in props:
            return self._script(model, texts)
        if "score" in props and images:
            return _answer([{"text": json.dumps(pixel_verdict(images[0]))}], model)
        return JSONResponse(google_error(400, "INVALID_ARGUMENT", "unexpected schema"), 400)

    def _script(self, model: str, texts: list[str]) -> Response:
        prompt = next((t for t in texts if REQUEST_MARK in t), None)
        if prompt is None:
            return JSONResponse(google_error(400, "INVALID_ARGUMENT", "no request"), 400)
        draft = draft_for(json.loads(prompt.split(REQUEST_MARK, 1)[1].strip().split("\n")[0]))
        if self.bad_scripts > 0:
            self.bad_scripts -= 1
            draft["keyframes"] = draft["keyframes"][:1]
        return _answer([{"text": json.dumps(draft)}], model)

    def _image(self, model: str, config: dict[str, Any], texts: list[str],
               images: list[Image.Image]) -> Response:
        ratio = config.get("imageConfig", {}).get("aspectRatio", "1:1")
        if ratio not in ASPECT_RATIOS or not images or not texts:
            return JSONResponse(google_error(400, "INVALID_ARGUMENT",
                                             "an image, a prompt and a valid aspectRatio"), 400)
        w, h = (int(x) for x in ratio.split(":"))
        scale = 1024 / max(w, h)
        size = (round(w * scale), round(h * scale))
        canvas = ImageOps.fit(images[0].convert("RGB"), size).filter(ImageFilter.GaussianBlur(2))
        product = images[-1].convert("RGBA")
        product.thumbnail((size[0] // 3, size[1] // 3))
        canvas.paste(product, ((size[0] - product.width) // 2, size[1] - product.height - 30),
                     product)
        buf = io.BytesIO()
        canvas.save(buf, format="PNG", compress_level=1)
        return _answer([{"inlineData": {"mimeType": "image/png",
                                        "data": base64.b64encode(buf.getvalue()).decode()}}],
                       model)
