"""Filters a feed takes in its request body, as django-filter FilterSets."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import exceptions


class FeedFilterSet(django_filters.FilterSet):
    """A FilterSet that is given the feed's adapter, for filters only the adapter can express."""

    def __init__(self, *args: Any, adapter: Any = None, **kwargs: Any) -> None:
        self.adapter = adapter
        super().__init__(*args, **kwargs)


class ProductFilterSet(FeedFilterSet):
    """``collection_id``: only the products in that category (see ``ProductAdapter.Meta``)."""

    collection_id = django_filters.CharFilter(method="filter_collection")

    def filter_collection(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        try:
            return self.adapter.filter_collection(queryset, value.strip())
        except (ValidationError, ValueError, TypeError) as exc:
            raise exceptions.ValidationError({name: [f"{value!r} is not a category id."]}) from exc
