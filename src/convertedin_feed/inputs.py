"""Values the platform sends, read as its Laravel validator reads them.

Used by every stage that takes a value from the request body: the page
parameters (:mod:`convertedin_feed.pagination`) and filters such as
``collection_id`` (:mod:`convertedin_feed.filters`).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

#: PHP trims exactly these (``PHP_FILTER_TRIM_DEFAULT``); no ``re.ASCII`` needed,
#: as the pattern names every character it takes.
WHOLE_NUMBER_SYNTAX = re.compile(r"[ \t\n\r\v]*([+-]?)(0|[1-9][0-9]*)[ \t\n\r\v]*")


def whole_number(data: Any) -> int:
    """A whole number as Laravel's ``integer`` rule reads one: PHP's ``FILTER_VALIDATE_INT``.

    Text is ASCII digits only: an optional ``+`` or ``-``, then ``0`` or a
    number without leading zeros (``007`` is refused, as PHP refuses it: some
    readers take it for octal), with spaces, tabs and line breaks around it.
    Python's ``int()`` reads far more, and none of it is taken here: ``1_0``
    (as 10), Arabic-Indic ``٣``, full-width digits, ``1.0``, and spaces that
    are not ASCII. A JSON number is taken when its value is whole (``3``, and
    ``3.0`` or ``3e0``, which JSON does not tell apart from ``3``); ``1.5``,
    ``true`` and anything else is a ``ValueError``.
    """
    if isinstance(data, bool):  # a bool is an int to Python, never a number to the platform
        raise ValueError(f"{data!r} is not a number")
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        if not data.is_integer():  # 1.5, and the infinity a JSON 1e400 becomes
            raise ValueError(f"{data!r} is not a whole number")
        return int(data)
    match = WHOLE_NUMBER_SYNTAX.fullmatch(data) if isinstance(data, str) else None
    if match is None:
        raise ValueError(f"{data!r} is not a whole number")
    sign, digits = match.groups()
    return -int(digits) if sign == "-" else int(digits)


class WholeNumberField(serializers.IntegerField):
    """:func:`whole_number` as a DRF field: ``page`` and ``per_page``."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        try:
            return whole_number(data)
        except ValueError:
            self.fail("invalid")
