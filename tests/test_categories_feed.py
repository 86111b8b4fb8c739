"""The categories feed: root categories are the records, each with its whole subtree."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from convertedin_feed.fields import DATETIME_FORMAT
from tests.factories import SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def forest():
    """Three roots whose depth differs by branch: none, one level, and six levels deep."""
    lone = SectionFactory(name="Lone")
    shallow = SectionFactory(name="Shallow")
    leaf = SectionFactory(name="Shallow leaf", parent=shallow)
    deep = SectionFactory(name="Deep")
    chain, node = [deep], deep
    for level in range(1, 7):
        node = SectionFactory(name=f"Deep {level}", parent=node)
        chain.append(node)
    side = SectionFactory(name="Deep 2 side", parent=chain[2], is_visible=False)
    return {
        "lone": lone,
        "shallow": shallow,
        "leaf": leaf,
        "deep": deep,
        "chain": chain,
        "side": side,
    }


def names(records):
    return [(r["title"], names(r["subcategories"])) for r in records]


def test_roots_are_the_records_and_each_carries_its_whole_subtree(pull, forest):
    body = pull("categories").json()
    assert body["total"] == 3
    assert names(body["data"]) == [
        ("Lone", []),
        ("Shallow", [("Shallow leaf", [])]),
        (
            "Deep",
            [
                (
                    "Deep 1",
                    [
                        (
                            "Deep 2",
                            [
                                ("Deep 3", [("Deep 4", [("Deep 5", [("Deep 6", [])])])]),
                                ("Deep 2 side", []),
                            ],
                        )
                    ],
                )
            ],
        ),
    ]


def test_every_category_has_the_documented_keys_and_types(pull, forest):
    record = pull("categories").json()["data"][1]
    section = forest["shallow"]
    assert record == {
        "id": section.pk,
        "title": "Shallow",
        "handle": section.slug,
        "content": section.blurb,
        "subcategories": [record["subcategories"][0]],
        "available": True,
        "published_at": record["published_at"],
    }
    leaf = record["subcategories"][0]
    assert list(leaf) == list(record)
    assert leaf["subcategories"] == []
    from datetime import datetime

    datetime.strptime(record["published_at"], DATETIME_FORMAT)


def test_available_is_a_boolean(pull, forest):
    deep = pull("categories").json()["data"][2]
    side = deep["subcategories"][0]["subcategories"][0]["subcategories"][1]
    assert side["title"] == "Deep 2 side"
    assert side["available"] is False
    assert deep["available"] is True


def test_pages_are_cut_over_roots(pull, forest):
    first = pull("categories", per_page=2).json()
    second = pull("categories", per_page=2, page=2).json()
    assert [r["title"] for r in first["data"]] == ["Lone", "Shallow"]
    assert [r["title"] for r in second["data"]] == ["Deep"]
    assert (first["total"], first["last_page"], second["from"], second["to"]) == (3, 2, 3, 3)


@pytest.mark.parametrize("depth", [1, 6, 12])
def test_the_queries_of_a_page_do_not_grow_with_the_depth_of_the_tree(pull, depth):
    root = node = SectionFactory()
    for _ in range(depth):
        node = SectionFactory(parent=node)
    SectionFactory()  # a second root
    with CaptureQueriesContext(connection) as queries:
        body = pull("categories").json()
    assert body["total"] == 2
    reading = [q for q in queries.captured_queries if "testapp_section" in q["sql"]]
    # the roots' count and greatest key (a crawl starts), the page of roots, and one
    # query for every subtree on the page, whatever its depth
    assert len(reading) == 4, [q["sql"] for q in reading]
    assert sum("RECURSIVE" in q["sql"] for q in reading) == 1
    deepest, level = body["data"][0], 0
    while deepest["subcategories"]:
        deepest, level = deepest["subcategories"][0], level + 1
    assert (body["data"][0]["id"], level) == (root.pk, depth)


def test_a_category_the_adapter_leaves_out_is_left_out_with_its_subtree(pull, forest, settings):
    from django.test import override_settings

    from tests.testapp.convertedin import SectionAdapter

    class VisibleSections(SectionAdapter):
        def get_queryset(self):
            return super().get_queryset().exclude(name="Deep 1")

    globals()["VisibleSections"] = VisibleSections
    adapters = {
        **settings.CONVERTEDIN_FEED["ADAPTERS"],
        "categories": f"{__name__}.VisibleSections",
    }
    with override_settings(CONVERTEDIN_FEED={**settings.CONVERTEDIN_FEED, "ADAPTERS": adapters}):
        body = pull("categories").json()
    assert names(body["data"])[2] == ("Deep", [])


def test_a_cycle_in_the_data_ends(pull, forest):
    from tests.testapp.models import Section

    chain = forest["chain"]
    Section.objects.filter(pk=chain[1].pk).update(parent=chain[6])  # Deep 1 under Deep 6
    body = pull("categories").json()
    # Deep 1 .. Deep 6 now hang from one another, not from a root: no root reaches them.
    assert names(body["data"])[2] == ("Deep", [])
