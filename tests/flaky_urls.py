"""The feeds behind a shop that is busy at first: ``FAILURES`` answers come before the real ones.

``test_crawl_command`` points ``ROOT_URLCONF`` here while a live server runs, and
fills ``FAILURES`` with ``(status, headers)`` pairs, answered in order, one a request.
"""

from django.http import JsonResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from convertedin_feed.feeds import get_feed
from convertedin_feed.views import FeedView

#: What the next requests get instead of the feed, in order.
FAILURES: list[tuple[int, dict[str, str]]] = []
#: Every request's feed and answer, in order.
SEEN: list[tuple[str, int]] = []


@csrf_exempt
def busy_then_feed(request, name):
    if FAILURES:
        status, headers = FAILURES.pop(0)
        SEEN.append((name, status))
        return JsonResponse({"message": "Busy."}, status=status, headers=headers)
    response = FeedView.as_view(feed=get_feed(name))(request)
    SEEN.append((name, response.status_code))
    return response


urlpatterns = [re_path(r"^convertedin/(?P<name>\w+)/?$", busy_then_feed)]
