from django.urls import include, path, re_path

from convertedin_feed.views import FeedView
from tests.testapp.feeds import ProductFilter, ProductSerializer

urlpatterns = [
    path("", include("convertedin_feed.urls")),
    re_path(
        r"^convertedin/products/?$",
        FeedView.as_view(
            feed="products", serializer_class=ProductSerializer, filterset_class=ProductFilter
        ),
        name="products",
    ),
]
