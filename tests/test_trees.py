"""convertedin_feed.trees: every node under some nodes of a tree, at any depth, in one query.

The tree, sections of the test shop's catalogue, deeper on some branches than others::

    empty                    (no children)
    shallow
    ├── shallow.a
    └── shallow.b
    deep
    ├── x1
    │   ├── x2a
    │   │   └── x3
    │   │       ├── x4a
    │   │       │   └── x5
    │   │       │       └── x6          (six levels under deep)
    │   │       └── x4b
    │   └── x2b
    └── y1
        └── y2
"""

import pytest

from convertedin_feed.trees import descendants, with_descendants
from tests.factories import GadgetFactory, GadgetPictureFactory, SectionFactory
from tests.testapp.models import Gadget, GadgetPicture, Section

pytestmark = pytest.mark.django_db

SHAPE = {
    "empty": None,
    "shallow": None,
    "shallow.a": "shallow",
    "shallow.b": "shallow",
    "deep": None,
    "x1": "deep",
    "x2a": "x1",
    "x2b": "x1",
    "x3": "x2a",
    "x4a": "x3",
    "x4b": "x3",
    "x5": "x4a",
    "x6": "x5",
    "y1": "deep",
    "y2": "y1",
}
DEEP = {"x1", "x2a", "x2b", "x3", "x4a", "x4b", "x5", "x6", "y1", "y2"}


@pytest.fixture
def tree() -> dict[str, Section]:
    """The sections above by name (parents made before their children)."""
    sections: dict[str, Section] = {}
    for name, parent in SHAPE.items():
        sections[name] = SectionFactory(name=name, parent=sections[parent] if parent else None)
    return sections


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def ids(tree, *names):
    return [tree[name].pk for name in names]


def all_sections():
    return Section.objects.all()


class TestDescendants:
    def test_are_every_node_under_a_root_whatever_its_depth(self, tree):
        assert names(descendants(all_sections(), "parent", ids(tree, "deep"))) == DEEP

    def test_of_a_root_one_level_deep_are_its_children(self, tree):
        assert names(descendants(all_sections(), "parent", ids(tree, "shallow"))) == {
            "shallow.a",
            "shallow.b",
        }

    def test_of_a_root_without_children_are_none(self, tree):
        assert names(descendants(all_sections(), "parent", ids(tree, "empty"))) == set()

    def test_of_several_roots_are_all_their_subtrees_and_no_other_root_s(self, tree):
        found = names(descendants(all_sections(), "parent", ids(tree, "empty", "shallow")))
        assert found == {"shallow.a", "shallow.b"}
        assert not found & DEEP

        found = names(descendants(all_sections(), "parent", ids(tree, "empty", "shallow", "deep")))
        assert found == {"shallow.a", "shallow.b"} | DEEP

    def test_never_include_the_roots(self, tree):
        every_root = ids(tree, "empty", "shallow", "deep")
        found = descendants(all_sections(), "parent", every_root)
        assert not set(found.values_list("pk", flat=True)) & set(every_root)

    def test_of_a_node_inside_the_tree_are_the_nodes_under_it(self, tree):
        assert names(descendants(all_sections(), "parent", ids(tree, "x3"))) == {
            "x4a",
            "x4b",
            "x5",
            "x6",
        }

    def test_leave_out_a_root_that_lies_under_another_root(self, tree):
        found = names(descendants(all_sections(), "parent", ids(tree, "deep", "x3")))
        assert found == DEEP - {"x3"}

    def test_come_with_their_parents_so_a_page_can_nest_them(self, tree):
        rows = descendants(all_sections(), "parent", ids(tree, "shallow", "deep")).values(
            "name", "parent__name"
        )
        assert {row["name"]: row["parent__name"] for row in rows} == {
            name: parent
            for name, parent in SHAPE.items()
            if name in DEEP | {"shallow.a", "shallow.b"}
        }

    def test_of_a_page_of_roots_are_one_query_whatever_the_depth(
        self, tree, django_assert_num_queries
    ):
        queryset = descendants(all_sections(), "parent", ids(tree, "empty", "shallow", "deep"))
        with django_assert_num_queries(1):
            rows = list(queryset.values("pk", "parent_id"))
        assert len(rows) == len(DEEP) + 2

    def test_reach_any_depth(self, django_assert_num_queries):
        chain = [SectionFactory()]
        for _ in range(60):
            chain.append(SectionFactory(parent=chain[-1]))
        with django_assert_num_queries(1):
            found = set(
                descendants(all_sections(), "parent", [chain[0].pk]).values_list("pk", flat=True)
            )
        assert found == {section.pk for section in chain[1:]}

    def test_are_filtered_by_the_queryset_but_walked_through_the_whole_table(self, tree):
        Section.objects.filter(pk__in=ids(tree, "x3", "y2")).update(is_visible=False)
        visible = Section.objects.filter(is_visible=True)
        # x3 is hidden, and not returned; the nodes under it are still found.
        assert names(descendants(visible, "parent", ids(tree, "deep"))) == DEEP - {"x3", "y2"}

    def test_keep_the_queryset_s_other_clauses(self, tree):
        queryset = Section.objects.filter(name__startswith="x").order_by("-name")
        found = list(
            descendants(queryset, "parent", ids(tree, "deep")).values_list("name", flat=True)
        )
        assert found == ["x6", "x5", "x4b", "x4a", "x3", "x2b", "x2a", "x1"]

    def test_of_a_cycle_end(self, django_assert_num_queries):
        """Bad data: two sections each the other's parent, and one its own."""
        a, b, c = SectionFactory(name="a"), SectionFactory(name="b"), SectionFactory(name="c")
        Section.objects.filter(pk=a.pk).update(parent=b)
        Section.objects.filter(pk=b.pk).update(parent=a)
        Section.objects.filter(pk=c.pk).update(parent=c)

        with django_assert_num_queries(1):
            assert names(descendants(all_sections(), "parent", [a.pk])) == {"b"}
        assert names(descendants(all_sections(), "parent", [c.pk])) == set()
        assert names(with_descendants(all_sections(), "parent", [a.pk])) == {"a", "b"}
        assert names(with_descendants(all_sections(), "parent", [c.pk])) == {"c"}

    def test_of_no_roots_are_none_without_a_query(self, tree, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert list(descendants(all_sections(), "parent", [])) == []
            assert list(descendants(all_sections(), "parent", ()).values("pk", "parent_id")) == []

    def test_of_roots_that_do_not_exist_are_none(self, tree):
        missing = Section.objects.order_by("-pk")[0].pk + 1000
        assert names(descendants(all_sections(), "parent", [missing])) == set()

    def test_take_roots_as_instances_or_as_ids_in_text(self, tree):
        assert names(descendants(all_sections(), "parent", [tree["shallow"]])) == {
            "shallow.a",
            "shallow.b",
        }
        assert names(descendants(all_sections(), "parent", [str(tree["x4a"].pk)])) == {
            "x5",
            "x6",
        }

    def test_bind_the_roots_as_parameters(self, tree):
        roots = ids(tree, "shallow", "deep")
        sql, params = descendants(all_sections(), "parent", roots).query.sql_with_params()
        assert "WITH RECURSIVE" in sql
        assert list(params) == roots
        assert "UNION ALL" not in sql

    def test_read_the_queryset_s_database(self, tree):
        queryset = descendants(Section.objects.using("default"), "parent", ids(tree, "shallow"))
        assert queryset.db == "default"
        assert names(queryset) == {"shallow.a", "shallow.b"}

    @pytest.mark.parametrize(
        ("queryset", "parent"),
        [
            (Section.objects.all(), "name"),  # not a foreign key
            (GadgetPicture.objects.all(), "gadget"),  # a foreign key to another model
        ],
    )
    def test_need_a_foreign_key_to_the_model_itself(self, queryset, parent):
        with pytest.raises(ValueError, match="not a foreign key to"):
            descendants(queryset, parent, [1])


class TestWithDescendants:
    def test_are_the_nodes_and_every_node_under_them(self, tree):
        found = names(with_descendants(all_sections(), "parent", ids(tree, "x2a", "shallow")))
        assert found == {"x2a", "x3", "x4a", "x4b", "x5", "x6", "shallow", "shallow.a", "shallow.b"}

    def test_of_a_leaf_are_the_leaf(self, tree):
        assert names(with_descendants(all_sections(), "parent", ids(tree, "x6"))) == {"x6"}

    def test_of_no_ids_are_none_without_a_query(self, tree, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert list(with_descendants(all_sections(), "parent", [])) == []

    def test_filter_products_by_a_category_and_its_subcategories_in_one_query(
        self, tree, django_assert_num_queries
    ):
        """What the products feed's collection_id does with ``collection_subcategories``."""
        in_deep = GadgetFactory(title="in deep", sections=[tree["deep"]])
        in_x6 = GadgetFactory(title="in x6", sections=[tree["x6"]])
        in_both = GadgetFactory(title="in x1 and y2", sections=[tree["x1"], tree["y2"]])
        GadgetFactory(title="in shallow.a", sections=[tree["shallow.a"]])
        GadgetFactory(title="nowhere")
        GadgetPictureFactory(gadget=in_x6)

        def filed_under(*section_names):
            sections = with_descendants(all_sections(), "parent", ids(tree, *section_names))
            return Gadget.objects.filter(sections__in=sections).distinct()

        with django_assert_num_queries(1):
            assert set(filed_under("deep")) == {in_deep, in_x6, in_both}
        assert set(filed_under("x1")) == {in_x6, in_both}
        assert set(filed_under("x4a", "y1")) == {in_x6, in_both}
        assert set(filed_under("empty")) == set()
