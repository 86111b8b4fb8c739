"""``path("", include("convertedin_feed.urls"))`` serves the feeds under ``convertedin/``.

Each answers with and without a trailing slash and never redirects: a redirected
POST loses its body, and with it the token.
"""

from django.urls import re_path

from convertedin_feed.serializers import CustomerSerializer, OrderSerializer
from convertedin_feed.views import FeedView

app_name = "convertedin_feed"

urlpatterns = [
    re_path(
        r"^convertedin/customers/?$",
        FeedView.as_view(feed="customers", serializer_class=CustomerSerializer),
        name="customers",
    ),
    re_path(
        r"^convertedin/orders/?$",
        FeedView.as_view(feed="orders", serializer_class=OrderSerializer),
        name="orders",
    ),
]
