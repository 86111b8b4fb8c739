"""The subtrees under some nodes of a tree of rows, at any depth, in one query.

A tree here is a model with a foreign key to itself naming each row's parent (a
shop's categories). The categories feed serves a page of root categories, each
with its whole subtree; the products feed's ``collection_id`` can match a
category and everything under it. Both need every node under some given nodes
whatever the depth, and walking a level at a time costs a query per level.
:func:`descendants` and :func:`with_descendants` narrow a queryset to those
nodes with one recursive common table expression instead, run as a ``pk IN
(...)`` subquery of the queryset's own single statement::

    WITH RECURSIVE roots (id) AS (
        SELECT pk FROM table WHERE pk IN (%s, %s, ...)        -- the given ids, bound once
    ), tree (id) AS (
        SELECT id FROM roots
        UNION                                                 -- not UNION ALL: a cycle ends
        SELECT node.pk FROM table node INNER JOIN tree ON node.parent = tree.id
    )
    SELECT id FROM tree [WHERE id NOT IN (SELECT id FROM roots)]

SQLite (3.8.3+), PostgreSQL and MariaDB (10.2.2+; MySQL 8 too) all take a
``WITH RECURSIVE`` query as the subquery of ``IN``, and all end the recursion
once a step adds no row the ``UNION`` has not seen, so bad data that loops (a
category its own ancestor) still ends. The walk reads the bare table: the
queryset's filters (visible categories only, say) apply to the nodes returned,
not to the walk, so a hidden category's visible children are still found.

The roots' ids are bound once, as parameters prepared by the primary key (so
UUIDs and text keys work as integers do), in the first CTE; the second and the
outer select read that CTE rather than binding them again. The one limit is
the server's on recursion: MariaDB stops a walk after ``max_recursive_iterations``
steps (1000 by default, so 1000 levels; it returns what it found by then) and
MySQL raises past ``cte_max_recursion_depth`` (also 1000), far deeper than a
category tree goes.

A tree kept as a *materialised path* instead (django-treebeard's ``MP_Node``,
as django-oscar's categories are: each row's ``path`` is its parent's path
followed by one step of ``steplen`` characters) needs no walk:
:func:`path_descendants` and :func:`path_with_descendants` find a node's
subtree as the rows whose path starts with its path, one correlated
``EXISTS`` over the given nodes, in the queryset's own statement::

    SELECT ... FROM table WHERE EXISTS (
        SELECT 1 FROM table given
        WHERE given.pk IN (%s, ...) AND given.path = SUBSTR(table.path, 1, LENGTH(given.path))
    ) [AND table.pk NOT IN (%s, ...)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Exists, ForeignKey, Model, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields import CharField
from django.db.models.functions import Length, Substr

__all__ = ["descendants", "path_descendants", "path_with_descendants", "with_descendants"]

_M = TypeVar("_M", bound=Model)

# Every node under the roots, and the roots: the roots (those of the ids that exist), then each
# step the nodes whose parent an earlier step found. UNION, not UNION ALL, drops the nodes
# already found, so a step over a cycle adds nothing and the walk ends.
_SUBTREES = (
    "WITH RECURSIVE {roots} ({id}) AS ("
    "SELECT {pk} FROM {table} WHERE {pk} IN ({placeholders})"
    "), {tree} ({id}) AS ("
    "SELECT {id} FROM {roots}"
    " UNION "
    "SELECT {node}.{pk} FROM {table} {node} INNER JOIN {tree} ON {node}.{parent} = {tree}.{id}"
    ") SELECT {id} FROM {tree}"
)
_WITHOUT_ROOTS = " WHERE {id} NOT IN (SELECT {id} FROM {roots})"


def descendants(queryset: QuerySet[_M], parent: str, roots: Sequence[Any]) -> QuerySet[_M]:
    """``queryset`` narrowed to every descendant of ``roots`` (not the roots themselves), at any depth:
    one query, through a recursive CTE over the ``parent`` foreign key, as a ``pk__in`` subquery.

    ``roots`` are primary keys (or model instances). A root is never among the
    results, even where bad data makes it its own descendant or one root lies
    under another. The walk follows the table itself, whatever ``queryset``
    filters; those filters then apply to the descendants returned. No roots, no
    query: ``queryset.none()``.
    """
    return _subtrees(queryset, parent, roots, include_roots=False)


def with_descendants(queryset: QuerySet[_M], parent: str, ids: Sequence[Any]) -> QuerySet[_M]:
    """``queryset`` narrowed to the nodes ``ids`` and every node under them, at any depth, in one
    query, as :func:`descendants` (the walk ignores ``queryset``'s filters; the nodes returned,
    ``ids`` among them, do not). Usable as a subquery itself, e.g. products filed under a
    category or any of its subcategories::

        Product.objects.filter(categories__in=with_descendants(Category.objects.all(), "parent", [id]))
    """
    return _subtrees(queryset, parent, ids, include_roots=True)


def _subtrees(
    queryset: QuerySet[_M], parent: str, roots: Sequence[Any], *, include_roots: bool
) -> QuerySet[_M]:
    model = queryset.model
    opts = model._meta
    field = opts.get_field(parent)
    if not (isinstance(field, ForeignKey) and field.remote_field.model is model):
        raise ValueError(
            f"{opts.label}.{parent} is not a foreign key to {opts.label} itself, "
            "so it names no parent of a tree."
        )
    pk = opts.pk
    assert pk is not None
    if field.target_field != pk:
        raise ValueError(
            f"{opts.label}.{parent} refers to {field.target_field.name}, not the primary key; "
            "a tree's parent must refer to its parent's primary key."
        )
    if not roots:
        return queryset.none()

    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    # Prepared as the primary key's own values are (a UUID as 32 hex characters on SQLite and
    # MariaDB, say), and bound, never written into the statement.
    params = [
        pk.get_db_prep_value(root.pk if isinstance(root, Model) else root, connection)
        for root in roots
    ]
    # Only the quoted names of the model's table and columns, and placeholders, are
    # written into the statement.
    template = _SUBTREES if include_roots else _SUBTREES + _WITHOUT_ROOTS
    sql = template.format(
        roots=quote("convertedin_roots"),
        tree=quote("convertedin_tree"),
        node=quote("convertedin_node"),
        id=quote("id"),
        table=quote(opts.db_table),
        pk=quote(pk.column),
        parent=quote(field.column),
        placeholders=", ".join(["%s"] * len(params)),
    )
    return queryset.filter(pk__in=RawSQL(sql, params, output_field=pk))  # noqa: S611


def path_descendants(queryset: QuerySet[_M], path: str, roots: Sequence[Any]) -> QuerySet[_M]:
    """``queryset`` narrowed to every descendant of ``roots`` (not the roots), in a tree kept as a
    materialised path: the nodes whose ``path`` starts with a root's and is longer.

    ``path`` names the path field (treebeard's ``MP_Node.path``). Like
    :func:`descendants`: one statement, the roots bound as parameters, the
    given nodes read from the bare table, ``queryset``'s filters applied to
    the nodes returned; no roots, no query.
    """
    return _path_subtrees(queryset, path, roots, include_roots=False)


def path_with_descendants(queryset: QuerySet[_M], path: str, ids: Sequence[Any]) -> QuerySet[_M]:
    """``queryset`` narrowed to the nodes ``ids`` and every node under them, by materialised path,
    as :func:`path_descendants`; usable as a subquery, as :func:`with_descendants` is."""
    return _path_subtrees(queryset, path, ids, include_roots=True)


def _path_subtrees(
    queryset: QuerySet[_M], path: str, roots: Sequence[Any], *, include_roots: bool
) -> QuerySet[_M]:
    model = queryset.model
    opts = model._meta
    field = opts.get_field(path)
    if not isinstance(field, CharField):
        raise ValueError(
            f"{opts.label}.{path} is not a text field, so it holds no materialised path."
        )
    if not roots:
        return queryset.none()
    keys = [root.pk if isinstance(root, Model) else root for root in roots]
    given = model._default_manager.using(queryset.db).filter(pk__in=keys)
    # A node is under a given one when the given one's path is the start of its own.
    above = given.filter(**{path: Substr(OuterRef(path), 1, Length(path))})
    narrowed = queryset.filter(Exists(above.order_by().values("pk")))
    return narrowed if include_roots else narrowed.exclude(pk__in=keys)
