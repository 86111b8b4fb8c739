from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # The "Converted.in feeds" page: /admin/convertedin_feed/feedhour/
    path("admin/", admin.site.urls),
    # POST /convertedin/storeinfo, categories, products, customers, orders
    path("", include("convertedin_feed.urls")),
]
