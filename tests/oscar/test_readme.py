"""The README's django-oscar section, followed to the letter.

Its setup is a ```python block of two lines (``INSTALLED_APPS +=`` and ``urlpatterns +=``),
then ``CONVERTEDIN_FEED_TOKEN``; its catalogue part asks for ``STORE``'s email and country.
These tests read that block from the README, run it over an Oscar project that has no
feeds yet, and check that the test project (``tests/oscar/settings.py``, ``urls.py``) is
exactly that, and that those settings and nothing more serve every feed and pass
``manage.py check``.
"""

import ast
import re
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.test import override_settings
from django.urls import include, path

from convertedin_feed.checks import TAG
from convertedin_feed.conf import TOKEN_ENVIRONMENT_VARIABLE
from convertedin_feed.feeds import BUILTIN_FEEDS
from tests.oscar import urls as test_urls

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = re.search(r"^## django-oscar\n(.*?)(?=^## )", README, re.M | re.S).group(1)
BLOCKS = re.findall(r"^```python\n(.*?)^```", SECTION, re.M | re.S)
[SETUP] = [block for block in BLOCKS if "INSTALLED_APPS +=" in block]
#: ``"STORE": {...}``, which the section's catalogue part says a shop sets at least.
STORE = ast.literal_eval(re.search(r'`"STORE": (\{[^`]*\})`', SECTION).group(1))

FEEDS = [feed.name for feed in BUILTIN_FEEDS]
FEED_APPS = ["rest_framework", "convertedin_feed", "convertedin_feed.contrib.oscar"]


def follow_readme(installed_apps, urlpatterns):
    """The section's setup block, run over an Oscar project's ``INSTALLED_APPS`` and URLs."""
    namespace = {
        "INSTALLED_APPS": list(installed_apps),
        "urlpatterns": list(urlpatterns),
        "path": path,
        "include": include,
    }
    exec(SETUP, namespace)  # noqa: S102 - the README's own lines, as a shop pastes them
    return namespace["INSTALLED_APPS"], namespace["urlpatterns"]


def module_name(pattern):
    """The module an ``include()`` mounts, by name; ``None`` for a list of patterns."""
    return getattr(getattr(pattern, "urlconf_name", None), "__name__", None)


def oscar_without_the_feeds():
    """The test project as it was before the README: Oscar's apps and Oscar's URLs only."""
    apps = [app for app in settings.INSTALLED_APPS if app not in FEED_APPS]
    patterns = [
        pattern
        for pattern in test_urls.urlpatterns
        if module_name(pattern) != "convertedin_feed.urls"
    ]
    return apps, patterns


def readme_urlconf():
    _, oscar_patterns = oscar_without_the_feeds()
    _, patterns = follow_readme([], oscar_patterns)
    urlconf = types.ModuleType("readme_urls")
    urlconf.urlpatterns = patterns
    return urlconf


@pytest.fixture
def readme_settings(monkeypatch):
    """The settings the section asks for and nothing more: its two lines, the token in
    the environment, and ``STORE`` as its catalogue part says; no ``ADAPTERS``."""
    monkeypatch.setenv(TOKEN_ENVIRONMENT_VARIABLE, settings.TEST_TOKEN)
    apps, _ = follow_readme(oscar_without_the_feeds()[0], [])
    with override_settings(
        INSTALLED_APPS=apps,
        ROOT_URLCONF=readme_urlconf(),
        CONVERTEDIN_FEED={"STORE": STORE},
    ):
        yield


def test_the_setup_is_the_two_lines_the_section_shows():
    statements = ast.parse(SETUP).body
    assert [ast.unparse(statement.target) for statement in statements] == [
        "INSTALLED_APPS",
        "urlpatterns",
    ]
    assert all(isinstance(statement, ast.AugAssign) for statement in statements)
    apps, patterns = follow_readme([], [])
    assert apps == FEED_APPS
    [feeds] = patterns
    assert (str(feeds.pattern), module_name(feeds)) == ("", "convertedin_feed.urls")
    assert STORE == {"email": "...", "country": "EG"}


def test_the_test_project_s_installed_apps_are_oscar_s_plus_the_section_s_line():
    oscar_apps, _ = oscar_without_the_feeds()
    assert "oscar.config.Shop" in oscar_apps
    apps, _ = follow_readme(oscar_apps, [])
    assert apps == settings.INSTALLED_APPS


def test_the_test_project_s_urls_are_oscar_s_plus_the_section_s_line():
    _, oscar_patterns = oscar_without_the_feeds()
    assert len(oscar_patterns) == 1  # Oscar's own
    _, patterns = follow_readme([], oscar_patterns)
    mounted = [(str(p.pattern), p.urlconf_name) for p in patterns]
    assert mounted == [(str(p.pattern), p.urlconf_name) for p in test_urls.urlpatterns]
    assert module_name(test_urls.urlpatterns[-1]) == "convertedin_feed.urls"


def test_the_test_project_names_no_adapters():
    assert "ADAPTERS" not in settings.CONVERTEDIN_FEED


@pytest.mark.django_db
def test_with_only_the_section_s_settings_every_feed_answers(readme_settings, api, shop):
    for feed in FEEDS:
        response = api.post(f"/convertedin/{feed}", {"token": settings.TEST_TOKEN})
        assert response.status_code == 200, (feed, response.content)
        assert response.json()["data"], feed
    assert api.post("/convertedin/orders", {"token": "x" * 40}).status_code == 401


def feed_checks():
    return [
        f"{message.id}: {message.msg}"
        for message in checks.run_checks(tags=[TAG])
        if message.id.startswith(("convertedin_feed.", "convertedin_feed_oscar."))
    ]


def test_manage_py_check_finds_nothing_wrong_with_the_section_s_settings(readme_settings):
    assert feed_checks() == []
    call_command("check", fail_level="WARNING")  # raises SystemCheckError on any problem


def test_without_the_store_the_section_asks_for_manage_py_check_says_so(readme_settings):
    with override_settings(CONVERTEDIN_FEED={}):
        found = feed_checks()
    assert found
    assert all(problem.startswith("convertedin_feed.E011: ") for problem in found), found
