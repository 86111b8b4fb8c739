"""Request body parsers: the platform sends form data; a JSON object is accepted too."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class JSONObjectParser(parsers.JSONParser):
    """JSON, but only an object: a list or a bare value has no fields to read."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError("JSON body must be an object.")
        return data


PARSER_CLASSES = (parsers.FormParser, parsers.MultiPartParser, JSONObjectParser)
