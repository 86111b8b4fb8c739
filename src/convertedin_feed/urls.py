"""``path("", include("convertedin_feed.urls"))`` serves the feeds under ``convertedin/``.

One url per feed of the ``FEEDS`` setting (the platform's five by default),
named after it (``convertedin_feed:orders``). Each answers with and without a
trailing slash and never redirects: a redirected POST loses its body, and with
it the token.
"""

from convertedin_feed.feeds import configured_feeds

app_name = "convertedin_feed"

urlpatterns = [feed.urlpattern() for feed in configured_feeds()]
