"""A fake OpenAI API: Responses (structured output), image edits and chat completions.

It checks what the documentation asks of a request: ``Authorization: Bearer <key>``; for
``POST /v1/responses`` a ``json_schema`` text format in strict mode with every object closed
(``additionalProperties: false``) and a user turn holding ``input_text`` and an
``input_image`` data URL that decodes to an image; for ``POST /v1/images/edits`` multipart
``image[]`` files (PNG/JPEG, 1 to 16), ``prompt``, a documented ``size``, ``quality``,
``input_fidelity`` and ``output_format``; for ``POST /v1/chat/completions`` a vision message
and a JSON response format. Answers are real: a script that fits the request read back from
the prompt, a PNG of the references composed at the requested size, a QA verdict from the
image's own pixels. Scripted failures answer first.

Models are checked as OpenAI does: ``GET /v1/models`` lists :data:`LIVE_MODELS` (with the
announced ``shutdown_date`` of those that have one); a request for a model not listed, or
shut down (:mod:`tests.providers.fakes.retired_models`), is answered 404
``model_not_found``; ``input_fidelity`` is refused (400 ``unsupported_parameter`` /
``unsupported_value``) by the image models that do not take it, ``temperature`` by the
reasoning models.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageFilter, ImageOps, ImageStat
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.fakes.faults import Faults
from tests.providers.fakes.media import decode_image
from tests.providers.fakes.retired_models import RETIRED, RetiredModel, announced, retired
from ugen.providers.script_schema import REQUEST_MARK

# What OpenAI lists on 2026-12-05 (its models pages and the openai SDK's model names), less
# what has shut down; each call's model must be one of these.
LIVE_MODELS = (
    "gpt-6-luna", "gpt-6-sol", "gpt-6.1-sol", "gpt-6.1-terra", "gpt-6.2-sol", "gpt-5.6-sol",
    "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano",
    "gpt-5.1", "gpt-5", "gpt-5-mini", "gpt-5-nano", "o3", "gpt-4.1", "gpt-4.1-mini",
    "gpt-4.1-2025-04-14", "gpt-4o", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
    "gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.6-sunburst", "gpt-image-2.6-flare",
    # served until their shutdown date, refused after it
    "gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini",
)
# input_fidelity per image model (OpenAI's API reference: high/low on gpt-image-1.5, low on
# gpt-image-1-mini, none on the GPT Image 2 models).
INPUT_FIDELITY = {"gpt-image-1": ("high", "low"), "gpt-image-1.5": ("high", "low"),
                  "gpt-image-1-mini": ("low",)}
REASONING = ("o1", "o3", "o4", "gpt-5", "gpt-6")
SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
QUALITIES = ("low", "medium", "high", "auto")
PHASES = ("hook", "problem", "demo", "benefit", "cta")


def _error(status: int, message: str, code: str | None,
           type_: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": None,
                                   "code": code}}, status_code=status,
                        headers={"x-request-id": f"req_fake_{status}"})


def data_url_image(url: object) -> Image.Image:
    """The image in a ``data:image/...;base64,`` URL; ValueError otherwise."""
    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url:
        raise ValueError("image_url must be a base64 data URL of an image")
    return decode_image(base64.b64decode(url.split(",", 1)[1], validate=True))


def pixel_digest(image: Image.Image) -> str:
    """A digest of an image's RGB pixels (the same picture in any file format or mode)."""
    rgb = image.convert("RGB")
    return hashlib.sha256(f"{rgb.size}".encode() + rgb.tobytes()).hexdigest()


def closed_objects(schema: dict[str, Any], root: dict[str, Any] | None = None) -> bool:
    """Every object of a JSON schema lists all its properties as required and is closed."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return closed_objects(root.get("$defs", {})[name], root) if name else False
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return False
        if sorted(schema.get("required", [])) != sorted(props):
            return False
        return all(closed_objects(p, root) for p in props.values())
    if schema.get("type") == "array":
        return closed_objects(schema.get("items", {}), root)
    return True


def draft_for(facts: dict[str, Any]) -> dict[str, Any]:
    """A script that fits the request facts (lines within the word budget, N+1 shots, N motion
    prompts)."""
    n = int(facts["segment_count"])
    product = facts["product_name"]
    if facts.get("custom_script"):
        words = str(facts["custom_script"]).split()
        cuts = [round(i * len(words) / n) for i in range(n + 1)]
        texts = [" ".join(words[cuts[i]:cuts[i + 1]]) for i in range(n)]
    else:
        # As a model told max_words_per_line would: a word short of it, pauses included.
        budget = max(1, int(facts.get("max_words_per_line", 12)) - 1)
        texts = [" ".join(f"Line {i + 1} {product} is really great".split()[:budget]) + "."
                 for i in range(n)]
    return {
        "language": facts["language"],
        "lines": [{"segment_index": i, "phase": PHASES[min(4, i * 5 // n)], "text": t}
                  for i, t in enumerate(texts)],
        "keyframes": [{"index": i, "shot_type": "medium close-up", "camera_angle": "eye level",
                       "expression": "delighted", "product_interaction": "holding product up",
                       "prompt": f"{facts['persona']['name']} holds {product}, shot {i}."}
                      for i in range(n + 1)],
        "segment_prompts": [f"Slow push-in while speaking line {i + 1}." for i in range(n)],
    }


def pixel_verdict(image: Image.Image) -> dict[str, Any]:
    """A QA verdict from the image itself: dark, flat or blurry images score low."""
    grey = image.convert("L").resize((256, 256))
    mean, spread = ImageStat.Stat(grey).mean[0], ImageStat.Stat(grey).stddev[0]
    edges = ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES)).mean[0]
    cats: list[str] = []
    reasons: list[str] = []
    if mean < 35:
        cats.append("CRITICAL_DEFECT")
        reasons.append("the frame is almost black")
    if spread < 8 or edges < 2:
        cats.append("VISUAL_ARTIFACT")
        reasons.append("the frame is flat or blurred")
    score = 0.9 if not cats else 0.25
    return {"score": score, "categories": cats, "reasons": reasons}


@dataclass
class FakeOpenAI:
    """The fake's state: its key, what it received, failures and bad answers to give."""

    api_key: str
    faults: Faults = field(default_factory=Faults)
    requests: list[dict[str, Any]] = field(default_factory=list)
    bad_scripts: int = 0  # answer this many scripts with a wrong line count first
    garbled_scripts: int = 0  # answer this many with text that is not the schema's JSON
    refuse: bool = False
    verdict: Callable[[Image.Image], dict[str, Any]] = pixel_verdict
    models: tuple[str, ...] = LIVE_MODELS
    retired_models: tuple[RetiredModel, ...] = RETIRED

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/responses", self._responses, methods=["POST"]),
            Route("/v1/images/edits", self._edits, methods=["POST"]),
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._list_models, methods=["GET"]),
        ])

    def offered(self) -> list[str]:
        return [m for m in self.models
                if retired("openai", m, table=self.retired_models) is None]

    def _unknown_model(self, model: object) -> Response | None:
        """404 ``model_not_found`` for a model OpenAI does not serve (never or no longer)."""
        if isinstance(model, str) and model in self.offered():
            return None
        return JSONResponse({"error": {
            "message": f"The model `{model}` does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": None, "code": "model_not_found"}},
            status_code=404, headers={"x-request-id": "req_fake_404"})

    async def _list_models(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        self.requests.append({"route": "models"})
        data = []
        for model in self.offered():
            row = announced("openai", model, table=self.retired_models)
            data.append({"id": model, "object": "model", "created": 1_760_000_000,
                         "owned_by": "system",
                         "shutdown_date": row.shutdown.isoformat() if row else None})
        return JSONResponse({"object": "list", "data": data})

    def _guard(self, request: Request) -> Response | None:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}":
            given = auth.removeprefix("Bearer ")
            masked = f"{given[:3]}*****{given[-2:]}" if len(given) > 6 else "***"
            return _error(401, f"Incorrect API key provided: {masked}.", "invalid_api_key")
        fault = self.faults.pop()
        if fault is not None:
            return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)
        return None

    async def _responses(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        body = await request.json()
        self.requests.append({"route": "responses", "body": body})
        unknown = self._unknown_model(body.get("model"))
        if unknown is not None:
            return unknown
        fmt = body.get("text", {}).get("format", {})
        if fmt.get("type") != "json_schema" or fmt.get("strict") is not True \
                or not closed_objects(fmt.get("schema", {})):
            return _error(400, "text.format must be a strict json_schema with closed objects",
                          "invalid_json_schema")
        try:
            (turn,) = body["input"]
            parts = {p["type"]: p for p in turn["content"]}
            data_url_image(parts["input_image"]["image_url"])
            prompt = parts["input_text"]["text"]
            facts = json.loads(prompt.split(REQUEST_MARK, 1)[1].strip().split("\n", 1)[0])
        except (KeyError, ValueError, TypeError, IndexError) as err:
            return _error(400, f"invalid input: {err}", "invalid_value")
        content: list[dict[str, Any]]
        if self.refuse:
            content = [{"type": "refusal", "refusal": "I can't help with that."}]
        else:
            draft = draft_for(facts)
            if self.bad_scripts > 0:
                self.bad_scripts -= 1
                draft["lines"] = draft["lines"][:-1]
            text = json.dumps(draft)
            if self.garbled_scripts > 0:
                self.garbled_scripts -= 1
                text = json.dumps({"lines": "three of them"})
            content = [{"type": "output_text", "text": text, "annotations": []}]
        return JSONResponse({
            "id": f"resp_fake_{len(self.requests)}", "object": "response",
            "created_at": int(time.time()), "status": "completed", "model": body["model"],
            "output": [{"type": "message", "id": "msg_fake", "status": "completed",
                        "role": "assistant", "content": content}],
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": 900, "output_tokens": 400, "total_tokens": 1300,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}},
        })

    async def _edits(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        form = await request.form()
        files = [v for k, v in form.multi_items() if k == "image[]" and isinstance(v, UploadFile)]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        record: dict[str, Any] = {"route": "edits", "fields": fields, "images": len(files)}
        self.requests.append(record)
        unknown = self._unknown_model(fields.get("model"))
        if unknown is not None:
            return unknown
        if not 1 <= len(files) <= 16:
            return _error(400, "image[] must hold 1 to 16 images", "invalid_value")
        if not fields.get("prompt") or not fields.get("model", "").startswith("gpt-image"):
            return _error(400, "prompt and a gpt-image model are required", "invalid_value")
        fidelity = INPUT_FIDELITY.get(fields["model"], ())
        if "input_fidelity" in fields and not fidelity:
            return _error(400, "Unsupported parameter: 'input_fidelity' is not supported "
                               "with this model.", "unsupported_parameter")
        if "input_fidelity" in fields and fields["input_fidelity"] not in fidelity:
            return _error(400, f"Unsupported value: 'input_fidelity' does not support "
                               f"'{fields['input_fidelity']}' with this model.",
                          "unsupported_value")
        bad = [k for k, allowed in (("size", SIZES), ("quality", QUALITIES),
                                    ("output_format", ("png", "jpeg", "webp")))
               if fields.get(k) not in allowed]
        if bad or fields.get("n", "1") != "1":
            return _error(400, f"invalid {', '.join(bad) or 'n'}", "invalid_value")
        if "forbidden" in fields["prompt"]:
            return _error(400, "Your request was rejected by the safety system.",
                          "moderation_blocked")
        try:
            images = [decode_image(await f.read()) for f in files]
        except ValueError as err:
            return _error(400, str(err), "invalid_image_format")
        record["digests"] = [pixel_digest(i) for i in images]  # which images were sent
        width, height = (int(x) for x in fields["size"].replace("auto", "1024x1024").split("x"))
        canvas = ImageOps.fit(images[0].convert("RGB"), (width, height)).filter(
            ImageFilter.GaussianBlur(2))
        product = images[-1].convert("RGBA")
        product.thumbnail((width // 3, height // 3))
        canvas.paste(product, ((width - product.width) // 2, height - product.height - 40),
                     product)
        buf = io.BytesIO()
        canvas.save(buf, format="PNG", compress_level=1)
        return JSONResponse({"created": int(time.time()),
                             "data": [{"b64_json": base64.b64encode(buf.getvalue()).decode()}],
                             "usage": {"input_tokens": 500, "output_tokens": 4160,
                                       "total_tokens": 4660,
                                       "input_tokens_details": {"image_tokens": 400,
                                                                "text_tokens": 100}}})

    async def _chat(self, request: Request) -> Response:
        refused = self._guard(request)
        if refused is not None:
            return refused
        body = await request.json()
        self.requests.append({"route": "chat", "body": body})
        unknown = self._unknown_model(body.get("model"))
        if unknown is not None:
            return unknown
        if "temperature" in body and str(body["model"]).startswith(REASONING):
            return _error(400, "Unsupported parameter: 'temperature' is not supported with "
                               "this model.", "unsupported_parameter")
        try:
            if body["response_format"]["type"] not in ("json_object", "json_schema"):
                raise ValueError("response_format must ask for JSON")
            images = [data_url_image(part["image_url"]["url"])
                      for message in body["messages"] if isinstance(message["content"], list)
                      for part in message["content"] if part["type"] == "image_url"]
            if not images:
                raise ValueError("no image_url part")
        except (KeyError, ValueError, TypeError) as err:
            return _error(400, f"invalid request: {err}", "invalid_value")
        verdict = self.verdict(images[0])
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": json.dumps(verdict),
                                     "refusal": None}}],
            "usage": {"prompt_tokens": 800, "completion_tokens": 60, "total_tokens": 860},
        })
