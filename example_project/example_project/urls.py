from django.urls import include, path

urlpatterns = [
    # POST /convertedin/customers and POST /convertedin/orders
    path("", include("convertedin_feed.urls")),
]
