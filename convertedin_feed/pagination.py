"""Page arithmetic, the same as the platform's own (Laravel's LengthAwarePaginator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int
    rows: list[Any]

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_position(self) -> int | None:
        """1-based position of the page's first row; ``None`` on an empty page."""
        return self.offset + 1 if self.rows else None

    @property
    def last_position(self) -> int | None:
        return self.offset + len(self.rows) if self.rows else None


def paginate(queryset: QuerySet[Any], number: int, per_page: int) -> Page:
    """Cut page ``number`` from an ordered queryset: one COUNT, then one LIMIT/OFFSET.

    A page past the last costs no second query; it is simply empty.
    """
    total = queryset.count()
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page]) if offset < total else []
    return Page(number=number, per_page=per_page, total=total, rows=rows)
