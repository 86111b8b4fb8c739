"""The example shop's settings, plus the benchmark's baselines, query counter and cache.

``BENCHMARK_STATS=0`` turns the admin page's request counts off (``STATS``).
``BENCHMARK_CACHE_URL`` (set by ``run.py`` for the two-worker test) points the
cache at a Redis server shared by every worker; unset, each worker keeps its
own in-memory cache, which is what one worker needs.
"""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import CONVERTEDIN_FEED, MIDDLEWARE

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"

# Outermost, so it counts every query any other middleware or view makes.
MIDDLEWARE = ["benchmarks.middleware.QueryCountMiddleware", *MIDDLEWARE]

# BENCHMARK_STATS=0: requests not counted for the admin page (run.py measures both).
if os.environ.get("BENCHMARK_STATS") == "0":
    CONVERTEDIN_FEED = {**CONVERTEDIN_FEED, "STATS": False}

_cache_url = os.environ.get("BENCHMARK_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# With DEBUG off Django prints nothing; a failing request should reach gunicorn's log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
        "convertedin_feed": {"handlers": ["stderr"], "level": "WARNING"},
    },
}
