from django.urls import include, path

urlpatterns = [path("", include("convertedin_feed.urls"))]
