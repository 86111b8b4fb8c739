"""Trees kept as a materialised path (django-treebeard's MP_Node): no parent column.

The shelves below, paths of four-character steps as treebeard writes them::

    0001 empty
    0002 shallow
    0002 0001 shallow.a
    0002 0002 shallow.b
    0003 deep
    0003 0001 x1
    0003 0001 0001 x2 ... down to x6, six levels under deep
    0003 0002 y1           (hidden)
    0003 0002 0001 y2
"""

from datetime import datetime, timezone

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from convertedin_feed.adapters import CategoryAdapter, Field, ProductAdapter
from convertedin_feed.exceptions import FeedConfigurationError
from convertedin_feed.trees import path_descendants, path_with_descendants
from tests.testapp.models import Book, Shelf

pytestmark = pytest.mark.django_db

OPENED = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)


def shelf(path, name, *, is_visible=True):
    return Shelf.objects.create(
        path=path, depth=len(path) // 4, name=name, is_visible=is_visible, opened=OPENED
    )


@pytest.fixture
def shelves():
    made = {
        "empty": shelf("0001", "empty"),
        "shallow": shelf("0002", "shallow"),
        "shallow.a": shelf("00020001", "shallow.a"),
        "shallow.b": shelf("00020002", "shallow.b"),
        "deep": shelf("0003", "deep"),
    }
    path = "0003"
    for level in range(1, 7):
        path += "0001"
        made[f"x{level}"] = shelf(path, f"x{level}")
    made["y1"] = shelf("00030002", "y1", is_visible=False)
    made["y2"] = shelf("000300020001", "y2")
    return made


DEEP = {"x1", "x2", "x3", "x4", "x5", "x6", "y1", "y2"}


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def ids(shelves, *names):
    return [shelves[name].pk for name in names]


class TestPathDescendants:
    def test_are_every_node_under_the_roots_at_any_depth_and_not_the_roots(self, shelves):
        everything = Shelf.objects.all()
        assert names(path_descendants(everything, "path", ids(shelves, "deep"))) == DEEP
        assert names(path_descendants(everything, "path", ids(shelves, "x4"))) == {"x5", "x6"}
        assert names(path_descendants(everything, "path", ids(shelves, "empty"))) == set()
        assert names(path_descendants(everything, "path", ids(shelves, "shallow", "x5"))) == {
            "shallow.a",
            "shallow.b",
            "x6",
        }

    def test_with_descendants_holds_the_nodes_themselves(self, shelves):
        found = path_with_descendants(Shelf.objects.all(), "path", ids(shelves, "y1", "empty"))
        assert names(found) == {"y1", "y2", "empty"}

    def test_a_path_that_only_starts_like_another_is_not_under_it(self, shelves):
        # "00031" is not a step under "0003": paths are compared whole, step by step, by prefix
        # of the given node's own length; a sibling "0004" is never under "0003".
        shelf("0004", "sibling")
        assert "sibling" not in names(
            path_descendants(Shelf.objects.all(), "path", ids(shelves, "deep"))
        )

    def test_are_filtered_by_the_queryset_but_found_through_the_whole_table(self, shelves):
        visible = Shelf.objects.filter(is_visible=True)
        assert names(path_descendants(visible, "path", ids(shelves, "deep"))) == DEEP - {"y1"}

    def test_are_one_query_and_bind_the_roots(self, shelves, django_assert_num_queries):
        queryset = path_descendants(Shelf.objects.all(), "path", ids(shelves, "shallow", "deep"))
        with django_assert_num_queries(1):
            assert len(list(queryset.values("pk"))) == len(DEEP) + 2
        sql, params = queryset.query.sql_with_params()
        assert "EXISTS" in sql.upper()
        assert set(ids(shelves, "shallow", "deep")) <= set(params)

    def test_of_no_roots_are_none_without_a_query(self, shelves, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert list(path_descendants(Shelf.objects.all(), "path", [])) == []

    def test_refuse_a_field_that_holds_no_path(self):
        with pytest.raises(ValueError, match="no materialised path"):
            path_descendants(Shelf.objects.all(), "depth", [1])


# The categories feed over a materialised-path tree


class ShelfAdapter(CategoryAdapter):
    title = Field("name")
    handle = Field("path")
    available = Field("is_visible")
    published_at = Field("opened")

    class Meta:
        model = "testapp.Shelf"
        path = "path"  # steplen: the model's own, 4


class BookAdapter(ProductAdapter):
    title = Field("title")
    quantity = Field(constant=1)

    class Meta:
        model = "testapp.Book"
        categories = "shelves"
        path = "path"


def served(settings, **adapters):
    return override_settings(
        CONVERTEDIN_FEED={
            **settings.CONVERTEDIN_FEED,
            "ADAPTERS": {
                **settings.CONVERTEDIN_FEED["ADAPTERS"],
                **{feed: f"{__name__}.{name}" for feed, name in adapters.items()},
            },
        }
    )


def nested(records):
    return [(r["title"], nested(r["subcategories"])) for r in records]


def test_the_roots_are_the_records_each_with_its_whole_subtree(pull, settings, shelves):
    with served(settings, categories="ShelfAdapter"):
        body = pull("categories").json()
    assert body["total"] == 3
    chain = [("x6", [])]
    for level in range(5, 0, -1):
        chain = [(f"x{level}", chain)]
    assert nested(body["data"]) == [
        ("empty", []),
        ("shallow", [("shallow.a", []), ("shallow.b", [])]),
        ("deep", [*chain, ("y1", [("y2", [])])]),
    ]
    y1 = body["data"][2]["subcategories"][1]
    assert (y1["id"], y1["handle"], y1["available"]) == (shelves["y1"].pk, "00030002", False)


def test_a_category_the_adapter_leaves_out_is_left_out_with_its_subtree(pull, settings, shelves):
    class VisibleShelves(ShelfAdapter):
        def get_queryset(self):
            return super().get_queryset().filter(is_visible=True)

    globals()["VisibleShelves"] = VisibleShelves
    with served(settings, categories="VisibleShelves"):
        deep = pull("categories").json()["data"][2]
    assert [child["title"] for child in deep["subcategories"]] == ["x1"]


@pytest.mark.parametrize("depth", [1, 6, 12])
def test_a_page_is_the_same_queries_whatever_the_depth(pull, settings, depth):
    path = "0001"
    shelf(path, "root")
    for level in range(depth):
        path += "0001"
        shelf(path, f"level {level}")
    shelf("0002", "second root")
    with served(settings, categories="ShelfAdapter"), CaptureQueriesContext(connection) as queries:
        body = pull("categories").json()
    reading = [q["sql"] for q in queries.captured_queries if "testapp_shelf" in q["sql"]]
    # the roots' count and greatest key, the page of roots, and one query for every subtree
    assert len(reading) == 4, reading
    node, level = body["data"][0], 0
    while node["subcategories"]:
        node, level = node["subcategories"][0], level + 1
    assert (body["total"], level) == (2, depth)


def test_a_bad_step_length_is_a_configuration_error(settings, shelves):
    class NoSteps(ShelfAdapter):
        class Meta:
            steplen = 0

    with pytest.raises(FeedConfigurationError, match="steplen"):
        NoSteps.tree_path()


def test_collection_id_matches_a_shelf_and_every_shelf_under_it(pull, settings, shelves):
    deep_book = Book.objects.create(title="deep book")
    deep_book.shelves.set([shelves["x5"]])
    shallow_book = Book.objects.create(title="shallow book")
    shallow_book.shelves.set([shelves["shallow"], shelves["shallow.a"]])
    Book.objects.create(title="on no shelf")
    with served(settings, products="BookAdapter"):
        titles = {
            name: [
                r["title"] for r in pull("products", collection_id=shelves[name].pk).json()["data"]
            ]
            for name in ("deep", "x4", "x6", "shallow", "shallow.a", "empty")
        }
    assert titles == {
        "deep": ["deep book"],
        "x4": ["deep book"],
        "x6": [],
        "shallow": ["shallow book"],  # once, though filed under two of its shelves
        "shallow.a": ["shallow book"],
        "empty": [],
    }
