"""Request body parsers: the platform sends form data; a JSON object is accepted too."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONObjectParser(parsers.JSONParser):
    """JSON, but only an object: a list or a bare value has no fields to read."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # json raises it, not ValueError, for deep nesting
            raise exceptions.ParseError("JSON body is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise exceptions.ParseError("JSON body must be an object.")
        return data


PARSER_CLASSES = (parsers.FormParser, parsers.MultiPartParser, JSONObjectParser)
