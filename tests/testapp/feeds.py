"""A third feed, declared the way the platform's products feed would be."""

import django_filters

from convertedin_feed.serializers import IdField, MoneyField, RecordSerializer, TextField


class ProductSerializer(RecordSerializer):
    id = IdField()
    title = TextField()
    price = MoneyField()
    category_id = IdField(optional=True)


class ProductFilter(django_filters.FilterSet):
    collection_id = django_filters.NumberFilter(field_name="shelf")
