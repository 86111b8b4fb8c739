"""Request body parsers: the platform sends form data; a JSON object is accepted too.

Every parser refuses a body with a string that is no Unicode text (a lone UTF-16
surrogate), so nothing after parsing ever has to cope with one: such a string
cannot be encoded as UTF-8, to compare a token, to write a log line or to send
to a database. JSON writes one as an escape (``"\\ud800"``) that Python's json
module decodes without complaint; form data only yields one through a charset
such as ``utf-7`` or ``unicode_escape`` (in UTF-8, bad bytes become U+FFFD).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions, parsers

_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_lone_surrogate(data: Any) -> bool:
    """Whether any string in parsed data, keys included, holds a lone surrogate.

    Walked with a list rather than recursion: JSON may nest as deep as the
    parser allowed, and this must not be the thing that runs out of stack.
    """
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, MultiValueDict):  # a QueryDict: every value of every key
            for key, values in item.lists():
                pending.append(key)
                pending.extend(values)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def declared_length(request: Any) -> int:
    """The body's length as its ``Content-Length`` declares it; none or a bad one is 0,
    as Django reads it (no body)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def check_upload_limit(parser_context: Any) -> None:
    """Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, on a JSON body's declared length.

    Django holds form data to it as it parses; DRF's JSON parser reads the stream
    itself, and only DRF 3.17.2 and later hold it to the limit. Checked here, so
    a JSON body past it is a 413 on every DRF the app supports.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = (parser_context or {}).get("request")
    if limit is not None and request is not None and declared_length(request) > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


class JSONObjectParser(parsers.JSONParser):
    """JSON, but only an object: a list or a bare value has no fields to read."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        check_upload_limit(parser_context)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # json raises it, not ValueError, for deep nesting
            raise exceptions.ParseError("JSON body is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise exceptions.ParseError("JSON body must be an object.")
        if holds_lone_surrogate(data):
            raise exceptions.ParseError(
                "The request body is not valid JSON text: a string holds a lone UTF-16 "
                "surrogate, which is no Unicode character."
            )
        return data


_FORM_SURROGATE = (
    "The form data could not be read: a field decodes to a lone UTF-16 surrogate, "
    "which is no Unicode character."
)


class FormParser(parsers.FormParser):
    """URL-encoded form data, refused when a name or value is no Unicode text."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if holds_lone_surrogate(data):
            raise exceptions.ParseError(_FORM_SURROGATE)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart form data, refused when a field's name or value is no Unicode text.

    A file's field name counts too: DRF hands files to the view in ``request.data``.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        if holds_lone_surrogate(parsed.data) or holds_lone_surrogate(parsed.files):
            raise exceptions.ParseError(_FORM_SURROGATE)
        return parsed


PARSER_CLASSES = (FormParser, MultiPartParser, JSONObjectParser)
