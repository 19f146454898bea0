"""JSON request bodies parsed strictly: finite numbers and well-formed strings only.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity``, turns ``1e400`` into an
infinity and ``"\\ud800"`` into a lone surrogate, none of which a job can use or a response
can carry. Every route of the API is a :class:`StrictJsonRoute`: a JSON body is parsed once,
before the route's own parsing, and a refused one is a 422 naming where it was
(``loc`` ``["body", "music_volume"]``, type ``finite_number``), like the other validation
errors; a body that is no JSON at all is FastAPI's own ``json_invalid`` 422.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_REPORTED = 20
"""Problems listed in one 422 at most."""
MAX_DEPTH = 32
"""Nesting of arrays and objects a body may have (the API's own bodies use three)."""


@dataclass(frozen=True)
class _NonFinite:
    """A number JSON cannot carry, as it was spelled."""

    text: str


def _number(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _problems(value: Any) -> list[dict[str, Any]]:
    """Every non-finite number and lone surrogate in a parsed body, with where it is."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack and len(found) < _MAX_REPORTED:
        loc, item = stack.pop()
        if len(loc) > MAX_DEPTH:
            raise _invalid(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, _NonFinite):
            found.append({"type": "finite_number", "loc": ("body", *loc),
                          "msg": "Input should be a finite number", "input": item.text})
        elif isinstance(item, str) and _SURROGATE.search(item):
            found.append({"type": "string_unicode", "loc": ("body", *loc),
                          "msg": "Input should be a valid string: it holds a lone surrogate",
                          "input": item.encode("utf-8", "backslashreplace").decode()})
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _SURROGATE.search(key):
                    found.append({"type": "string_unicode", "loc": ("body", *loc),
                                  "msg": "Object keys must be valid strings: a key holds a "
                                         "lone surrogate", "input": None})
                else:
                    stack.append(((*loc, key), child))
        elif isinstance(item, list):
            stack.extend(((*loc, i), child) for i, child in reversed(list(enumerate(item))))
    return found


def _invalid(message: str, pos: int = 0) -> RequestValidationError:
    # The shape FastAPI gives a body that does not parse.
    return RequestValidationError([{"type": "json_invalid", "loc": ("body", pos),
                                    "msg": "JSON decode error", "input": {},
                                    "ctx": {"error": message}}])


def loads_strict(body: bytes) -> Any:
    """Parse a JSON request body, refusing what :mod:`json` lets through.

    Raises:
        RequestValidationError: ``json_invalid`` (not JSON, nested too deep, a number too
            long), ``finite_number`` or ``string_unicode`` naming each place.
    """
    try:
        value = json.loads(body, parse_constant=_NonFinite, parse_float=_number)
    except json.JSONDecodeError as err:
        raise _invalid(err.msg, err.pos) from None
    except RecursionError:
        raise _invalid("nested too deeply") from None
    except ValueError as err:  # not UTF-8, or an integer of thousands of digits
        raise _invalid(str(err).split(":")[0]) from None
    problems = _problems(value)
    if problems:
        raise RequestValidationError(problems)
    return value


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))


class StrictJsonRequest(Request):
    """A request whose ``json()`` is :func:`loads_strict` (parsed once, then kept)."""

    _strict: Any

    async def json(self) -> Any:
        if not hasattr(self, "_strict"):
            self._strict = loads_strict(await self.body())
        return self._strict


class StrictJsonRoute(APIRoute):
    """An API route whose JSON body is parsed by :func:`loads_strict` before validation."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            # Parsed here, where a refusal is a 422 (inside the framework's own parsing,
            # anything but a JSONDecodeError becomes a 400); only by a route that takes a
            # body (others, like the upload, read theirs after the key was checked).
            if (self.body_field is not None and _is_json(strict.headers.get("content-type"))
                    and await strict.body()):
                await strict.json()
            return await handler(strict)

        return strict_handler
