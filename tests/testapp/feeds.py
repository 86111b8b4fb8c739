"""A feed of the shop's own, declared as the README's "Adding a feed" shows it."""

import django_filters

from convertedin_feed.adapters import FeedAdapter, Field
from convertedin_feed.feeds import Feed
from convertedin_feed.fields import IdField, MoneyField, TextField
from convertedin_feed.schemas import RecordSerializer


class OfferSerializer(RecordSerializer):
    id = IdField()
    title = TextField()
    price = MoneyField()
    shelf = IdField(optional=True)


class OfferAdapter(FeedAdapter):
    """The base a shop's offers adapter subclasses; empty, as most are."""


class OfferFilter(django_filters.FilterSet):
    shelf = django_filters.NumberFilter()


OFFERS = Feed(
    name="offers",
    schema=OfferSerializer,
    adapter_class=OfferAdapter,
    filterset_class=OfferFilter,
)


class CatalogOfferAdapter(OfferAdapter):
    price = Field("list_price")

    class Meta:
        model = "testapp.CatalogItem"
