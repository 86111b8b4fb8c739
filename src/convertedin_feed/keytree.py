"""The key tree: what a record schema tells the records stage about its keys.

:meth:`~convertedin_feed.schemas.RecordSerializer.documented_keys` gives the
documented keys in output order, each mapped to ``None``, or to a mark for the
keys the records stage treats apart: :data:`MONEY`, a nested mapping (a list of
sub-records, such as an order's ``line_items``) or :data:`SUBTREE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

KeyTree: TypeAlias = Mapping[str, "KeyTree | str | None"]

#: A money key: the records stage rounds it when its value is computed.
MONEY = "money"
#: Records of the record's own kind, nested to any depth (a category's ``subcategories``).
SUBTREE = "subtree"


def freeze(keys: KeyTree | str | None) -> Any:
    """A key tree as nested tuples: hashable, for the memos keyed by it."""
    if not isinstance(keys, Mapping):
        return keys
    return tuple((key, freeze(value)) for key, value in keys.items())
