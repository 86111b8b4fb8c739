"""Settings of the test project: a shop whose models are not the example's."""

import dj_database_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Africa/Cairo"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "convertedin_feed",
    "tests.testapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# The admin, for the Converted.in feeds page (tests/test_admin_page.py).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

ROOT_URLCONF = "tests.urls"
# The live server (pytest-django's live_server) serves static files under it.
STATIC_URL = "/static/"

# DATABASE_URL=postgres://user@host:port/name runs the whole suite on that
# database; unset, it runs on an in-memory SQLite database.
DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}
# A second database on the same server, standing in for a read replica
# (CONVERTEDIN_FEED["DATABASE"]); only tests that ask for it touch it.
DATABASES["replica"] = {
    **DATABASES["default"],
    "NAME": DATABASES["default"]["NAME"]
    if DATABASES["default"]["NAME"] == ":memory:"
    else f"{DATABASES['default']['NAME']}_replica",
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEST_TOKEN = "t" * 40
OLD_TOKEN = "o" * 40

CONVERTEDIN_FEED = {
    "TOKENS": [TEST_TOKEN],
    # The platform's five, then a feed of the shop's own (tests/testapp/feeds.py).
    "FEEDS": [
        "storeinfo",
        "categories",
        "products",
        "customers",
        "orders",
        "tests.testapp.feeds.OFFERS",
    ],
    "ADAPTERS": {
        "categories": "tests.testapp.convertedin.SectionAdapter",
        "products": "tests.testapp.convertedin.GadgetAdapter",
        "customers": "tests.testapp.convertedin.MemberAdapter",
        "orders": "tests.testapp.convertedin.BasketAdapter",
        "offers": "tests.testapp.feeds.CatalogOfferAdapter",
    },
    "SITE_URL": "https://gadgets.example",
    # Counting requests adds a write to every page: the tests that count queries
    # or writes see the feed alone; tests/test_stats.py turns it on.
    "STATS": False,
    "STORE": {
        "name": "Gadget Corner",
        "currency": "USD",
        "time_zone": "America/New_York",
        "email": "hello@gadgets.example",
        "description": "Small things that help.",
        "country": "us",
    },
}

# A shop's own DRF defaults must not leak into the feeds.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNICODE_JSON": False,
}
