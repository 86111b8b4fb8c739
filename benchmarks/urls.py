"""The example shop's feeds (``ours``) and the baselines they are measured against."""

from django.urls import include, path

from benchmarks import baselines

urlpatterns = [
    # ours: POST /convertedin/customers and /convertedin/orders, as the example shop serves them
    path("", include("example_project.urls")),
    path("baselines/drf/orders", baselines.DRFOrdersView.as_view(), name="drf"),
    path("baselines/handwritten/orders", baselines.handwritten_orders, name="handwritten"),
    path(
        "baselines/handwritten-seek/orders",
        baselines.handwritten_seek_orders,
        name="handwritten_seek",
    ),
    path(
        "baselines/handwritten-seek/products",
        baselines.handwritten_seek_products,
        name="handwritten_seek_products",
    ),
]
