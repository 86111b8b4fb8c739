"""Filters a feed takes in its request body, as django-filter FilterSets."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework import exceptions


class FeedFilterSet(django_filters.FilterSet):
    """A FilterSet that is given the feed's adapter, for filters only the adapter can express."""

    def __init__(self, *args: Any, adapter: Any = None, **kwargs: Any) -> None:
        self.adapter = adapter
        super().__init__(*args, **kwargs)


class KeyFormField(forms.Field):
    """A record's key as sent: text (trimmed), or a JSON number that is whole.

    Blank text and ``null`` are no value. Anything else (a JSON list, object,
    boolean or ``1.5``) is refused here, never read as no value: an empty list
    must not serve the products unfiltered.
    """

    default_error_messages = {"invalid": "%(value)r is not a category id."}  # noqa: RUF012 (Django's)

    def to_python(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, float) and value.is_integer():
            return int(value)  # JSON does not tell 5.0 from 5
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )


class KeyFilter(django_filters.Filter):
    """A filter on a record's key (``collection_id``): see :class:`KeyFormField`."""

    field_class = KeyFormField


class ProductFilterSet(FeedFilterSet):
    """``collection_id``: only the products in that category (see ``ProductAdapter.Meta``)."""

    collection_id = KeyFilter(method="filter_collection")

    def filter_collection(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        try:
            return self.adapter.filter_collection(queryset, value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise exceptions.ValidationError({name: [f"{value!r} is not a category id."]}) from exc
