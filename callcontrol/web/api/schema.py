"""A small declarative schema language: one declaration both validates input and prints JSON Schema.

Handlers never check types by hand: each endpoint declares its body, path and query schemas with
these classes, the endpoint wrapper validates with them, and the OpenAPI document is printed from
the very same objects, so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callcontrol.web.api.errors import ApiError

# PostgreSQL text cannot hold NUL; saying so in the schema keeps generators honest.
NO_NUL = "^[^\\u0000]*$"


def _invalid(path: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, field=path or None)


class Schema:
    """Base: ``validate`` returns the cleaned value or raises a 422 naming the field."""

    description: str | None = None

    def validate(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _with_description(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True)
class Str(Schema):
    min_length: int = 0
    max_length: int = 200
    pattern: str = NO_NUL
    description: str | None = None

    def validate(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise _invalid(path, f"{path or 'value'} must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid(path, f"{path} is not valid Unicode text") from None
        if not self.min_length <= len(value) <= self.max_length:
            raise _invalid(
                path, f"{path} must have {self.min_length} to {self.max_length} characters"
            )
        if re.search(self.pattern, value) is None or "\x00" in value:
            raise _invalid(path, f"{path} does not match {self.pattern}")
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        schema["pattern"] = self.pattern
        return self._with_description(schema)


@dataclass(frozen=True)
class DateTime(Schema):
    """An RFC 3339 date-time with a zone; validates to epoch milliseconds."""

    description: str | None = None

    def validate(self, value: Any, path: str) -> int:
        if not isinstance(value, str) or len(value) > 40:
            raise _invalid(path, f"{path} must be an RFC 3339 date-time string")
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError("no time zone")
            ms = int(parsed.astimezone(UTC).timestamp() * 1000)
        except (ValueError, OverflowError):
            raise _invalid(path, f"{path} must be an RFC 3339 date-time with a zone") from None
        if not 0 <= ms < 2**53:
            raise _invalid(path, f"{path} is out of range")
        return ms

    def json_schema(self) -> dict[str, Any]:
        return self._with_description({"type": "string", "format": "date-time"})


@dataclass(frozen=True)
class Int(Schema):
    minimum: int = 0
    maximum: int = 2**31 - 1
    description: str | None = None

    def validate(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(path, f"{path} must be an integer")
        if not self.minimum <= value <= self.maximum:
            raise _invalid(path, f"{path} must be from {self.minimum} to {self.maximum}")
        return value

    def json_schema(self) -> dict[str, Any]:
        schema = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        return self._with_description(schema)


@dataclass(frozen=True)
class Bool(Schema):
    description: str | None = None

    def validate(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise _invalid(path, f"{path} must be true or false")
        return value

    def json_schema(self) -> dict[str, Any]:
        return self._with_description({"type": "boolean"})


@dataclass(frozen=True)
class Enum(Schema):
    values: tuple[str, ...]
    description: str | None = None

    def validate(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise _invalid(path, f"{path} must be one of: {', '.join(self.values)}")
        return value

    def json_schema(self) -> dict[str, Any]:
        return self._with_description({"type": "string", "enum": list(self.values)})


@dataclass(frozen=True)
class Arr(Schema):
    items: Schema
    max_items: int = 100
    unique: bool = False
    description: str | None = None

    def validate(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _invalid(path, f"{path} must be an array")
        if len(value) > self.max_items:
            raise _invalid(path, f"{path} may hold at most {self.max_items} items")
        cleaned = [self.items.validate(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if self.unique and len({repr(v) for v in cleaned}) != len(cleaned):
            raise _invalid(path, f"{path} must not repeat an item")
        return cleaned

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": self.items.json_schema(),
            "maxItems": self.max_items,
        }
        if self.unique:
            schema["uniqueItems"] = True
        return self._with_description(schema)


@dataclass(frozen=True)
class Nullable(Schema):
    inner: Schema
    description: str | None = None

    def validate(self, value: Any, path: str) -> Any:
        return None if value is None else self.inner.validate(value, path)

    def json_schema(self) -> dict[str, Any]:
        inner = self.inner.json_schema()
        return self._with_description({"anyOf": [inner, {"type": "null"}]})


@dataclass(frozen=True)
class Obj(Schema):
    """A JSON object with declared properties; unknown properties are refused, never dropped."""

    properties: Mapping[str, Schema]
    required: Sequence[str] = ()
    description: str | None = None
    min_properties: int = 0
    name: str | None = None  # a components/schemas name in the OpenAPI document
    extra: Mapping[str, Any] = field(default_factory=dict)

    def validate(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid(path, f"{path or 'body'} must be a JSON object")
        for key in value:
            if key not in self.properties:
                where = f"{path}.{key}" if path else key
                raise _invalid(where, f"unknown field {where}")
        for key in self.required:
            if key not in value:
                where = f"{path}.{key}" if path else key
                raise _invalid(where, f"{where} is required")
        if len(value) < self.min_properties:
            raise _invalid(path, f"{path or 'body'} must name at least one field to change")
        return {
            key: self.properties[key].validate(item, f"{path}.{key}" if path else key)
            for key, item in value.items()
        }

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {k: v.json_schema() for k, v in self.properties.items()},
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.min_properties:
            schema["minProperties"] = self.min_properties
        schema.update(self.extra)
        return self._with_description(schema)


@dataclass(frozen=True)
class Out(Schema):
    """A response-only schema given as plain JSON Schema (responses are never validated)."""

    schema: Mapping[str, Any]
    description: str | None = None

    def validate(self, value: Any, path: str) -> Any:  # pragma: no cover - never input
        raise TypeError("response schemas do not validate input")

    def json_schema(self) -> dict[str, Any]:
        return self._with_description(dict(self.schema))
