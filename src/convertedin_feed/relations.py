"""What relations a mapping reads through.

A field path or an ORM expression that crosses a to-many relation (a reverse
foreign key, a many-to-many, a ``GenericRelation``) joins one row per related
row: ``values()`` repeats the parent, and an aggregate over two such relations
multiplies one by the other. These functions find those relations without
running, or even building, a query: they read the declaration and the models'
``_meta``.

- :func:`referenced_paths`: the field paths a source names.
- :func:`to_many_chain`: where the last to-many hop of one path ends.
- :func:`to_many_chains`: the to-many chains of a whole source.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models import Field as ModelField
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import ResolvedOuterRef
from django.db.models.sql import Query


def referenced_paths(source: str | Any) -> list[str]:
    """Every field path ``source`` refers to, in order of appearance, each once.

    ``source`` is a field path (returned as is) or an ORM expression, walked
    through ``get_source_expressions()``: an ``F`` gives its name (string
    arguments such as ``Lower("user__email")`` are ``F``\\ s already), a ``Q``
    (an aggregate's ``filter``, a ``When`` condition) gives the path part of
    each keyword (``"discounts__amount"`` for ``discounts__amount__gt=0``) and
    the paths of a value that is an expression. ``OuterRef`` names a field of
    another query's model, and a ``Subquery`` or ``Exists`` is a query of its
    own, which cannot repeat the outer rows: neither contributes. ``Value``
    has no path. A path may still end in a transform (``created__year``).
    """
    paths: dict[str, None] = {}
    _collect(source, paths)
    return list(paths)


def to_many_chain(model: type[Model], path: str) -> str | None:
    """The prefix of ``path`` that ends at its last to-many hop, or ``None``.

    For an order model, ``"lines__discounts__amount"`` gives
    ``"lines__discounts"``, ``"lines__product__title"`` gives ``"lines"``,
    ``"customer__email"`` and ``"pk"`` give ``None``. The walk stops quietly
    at a part that is not a relation (a field's column, a lookup, a transform)
    or no field at all (resolving the path reports those), and answers with
    what it found up to there.
    """
    parts = path.split(LOOKUP_SEP)
    last = -1
    current: Any = model
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            break
        if not field.is_relation:
            break
        if field.one_to_many or field.many_to_many:
            last = index
        current = field.related_model
        if current is None:  # a GenericForeignKey: no model to go on with
            break
    return LOOKUP_SEP.join(parts[: last + 1]) if last >= 0 else None


def to_many_chains(model: type[Model], source: str | Any) -> frozenset[str]:
    """The to-many chains (:func:`to_many_chain`) of every path ``source`` refers to."""
    chains = (to_many_chain(model, path) for path in referenced_paths(source))
    return frozenset(chain for chain in chains if chain is not None)


def _collect(node: Any, paths: dict[str, None]) -> None:
    if node is None:
        return
    if isinstance(node, str):
        paths[node] = None
    elif isinstance(node, OuterRef | ResolvedOuterRef | Subquery | QuerySet | Query):
        return  # another query's fields, or a query of its own
    elif isinstance(node, F):
        paths[node.name] = None  # type: ignore[attr-defined]
    elif isinstance(node, Q):
        for child in node.children:
            if isinstance(child, tuple) and len(child) == 2:
                lookup, value = child
                paths[_lookup_path(lookup)] = None
                if hasattr(value, "resolve_expression"):
                    _collect(value, paths)
            else:  # a nested Q, or a conditional expression such as Exists()
                _collect(child, paths)
    elif hasattr(node, "get_source_expressions"):
        for expression in node.get_source_expressions():
            _collect(expression, paths)


def _lookup_path(lookup: str) -> str:
    """A ``Q`` keyword without its lookup: ``"discounts__amount__gt"`` -> ``"discounts__amount"``.

    Only the lookups every model field answers (``exact``, ``gt``, ``in``,
    ``isnull``...) are known without the model; a transform stays on the path.
    """
    path, sep, last = lookup.rpartition(LOOKUP_SEP)
    return path if sep and path and last in ModelField.get_class_lookups() else lookup
