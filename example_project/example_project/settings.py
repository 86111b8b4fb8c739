"""Settings of the example shop: a demo, configured from the environment.

- ``DATABASE_URL``: any database dj-database-url understands; SQLite next to
  manage.py by default.
- ``CONVERTEDIN_FEED_TOKEN``: the token(s) the platform sends, comma-separated.
  The app reads the variable on every request. Unset, the token ``manage.py demo``
  generated is used: it keeps it in ``demo-token`` beside the SQLite database
  (``example_project/demo-token`` by default; git ignores it).
- ``DJANGO_DEBUG``: ``0`` to turn debug off; ``DJANGO_SECRET_KEY`` for a real key.
- ``SHOP_URL``: where the shop is served, for the feeds' absolute URLs (product
  pages, images); ``http://localhost:8000`` by default.
"""

import importlib
import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

INSTALLED_APPS = [
    # The admin, for the "Converted.in feeds" page (manage.py demo prints its address).
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "convertedin_feed",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

# runserver serves the admin's styles while DEBUG is on.
STATIC_URL = "/static/"

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_ENGINE = DATABASES["default"].get("ENGINE", "")
_DRIVERS = {"postgresql": ("psycopg", "psycopg2"), "mysql": ("MySQLdb",)}
_EXTRAS = {"postgresql": "postgres", "mysql": "mariadb"}


def _importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


for _vendor, _modules in _DRIVERS.items():
    if _ENGINE.endswith(_vendor) and not any(map(_importable, _modules)):
        sys.exit(
            f"DATABASE_URL names a {_vendor} database, whose driver is not installed: "
            f'pip install -e ".[demo,{_EXTRAS[_vendor]}]" (or unset DATABASE_URL for SQLite).'
        )

#: The token ``manage.py demo`` generated: beside the SQLite database, else beside manage.py.
DEMO_TOKEN_FILE = (
    Path(DATABASES["default"]["NAME"]).parent
    if _ENGINE.endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:"
    else BASE_DIR
) / "demo-token"


def _demo_tokens():
    """``None`` (the environment's, read on every request) unless only the demo's file has one."""
    if os.environ.get("CONVERTEDIN_FEED_TOKEN", "").strip():
        return None
    try:
        token = DEMO_TOKEN_FILE.read_text().strip()
    except OSError:
        return None
    return [token] if token else None


LANGUAGE_CODE = "en-us"
TIME_ZONE = "Africa/Cairo"
USE_I18N = True
USE_TZ = True

MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

# Absolute URLs in the feeds (product pages, images) start here, never at the
# request's Host header; and the storeinfo feed's answer.
SHOP_URL = os.environ.get("SHOP_URL", "http://localhost:8000")
SHOP_STORE = {
    "name": "Souq Example",
    "currency": "EGP",
    "time_zone": "Africa/Cairo",
    "email": "hello@shop.example",
    "description": "Clothes, home and gifts, delivered across Egypt and the Gulf.",
    "country": "EG",
}

CONVERTEDIN_FEED = {
    "TOKENS": _demo_tokens(),
    "SITE_URL": SHOP_URL,
    "STORE": SHOP_STORE,
    "ADAPTERS": {
        "categories": "shop.convertedin.CategoryTreeAdapter",
        "products": "shop.convertedin.CatalogueAdapter",
        "customers": "shop.convertedin.ClientAdapter",
        "orders": "shop.convertedin.PurchaseAdapter",
    },
}
