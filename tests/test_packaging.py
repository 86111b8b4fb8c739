"""The package as PyPI serves it: metadata, licence, version, changelog, README links.

These tests read the installed distribution, so they hold what was built, not the
checkout. ``.ci/run`` builds the wheel and sdist and runs tox from the unpacked sdist,
installing that wheel in each fresh environment; tox sets ``CONVERTEDIN_FEED_INSTALLED``
to ``wheel`` there, and to ``lowest`` in its ``lowest`` environment, and these tests
then check that the suite really runs against such an install.
"""

import hashlib
import importlib.metadata
import os
import re
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import convertedin_feed

ROOT = Path(__file__).resolve().parent.parent
DIST = importlib.metadata.distribution("django-convertedin-feed")
META = DIST.metadata
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
INSTALLED = os.environ.get("CONVERTEDIN_FEED_INSTALLED", "")

URLS = dict(url.split(", ", 1) for url in META.get_all("Project-URL"))
REPOSITORY = URLS["Source"]
#: The extras whose floors this environment holds, with the runtime's: ``test``, unless
#: tox names others (each lowest-direct environment names those it installs).
EXTRAS = set(os.environ.get("CONVERTEDIN_FEED_EXTRAS", "test").split(","))


def test_the_metadata_names_the_mit_licence_and_ships_its_text():
    assert META["License-Expression"] == "MIT"
    assert META.get_all("License-File") == ["LICENSE"]
    [licence] = [f for f in DIST.files if f.name == "LICENSE"]
    assert licence.read_text() == (ROOT / "LICENSE").read_text()
    assert licence.read_text().startswith("MIT License\n")


def test_the_project_links_to_its_source_readme_issues_and_changelog():
    assert set(URLS) == {"Source", "Documentation", "Issues", "Changelog"}
    assert re.fullmatch(r"https://github\.com/[\w.-]+/django-convertedin-feed", REPOSITORY)
    assert URLS["Documentation"] == f"{REPOSITORY}#readme"
    assert URLS["Issues"] == f"{REPOSITORY}/issues"
    assert URLS["Changelog"] == f"{REPOSITORY}/blob/main/CHANGELOG.md"


def test_the_description_is_the_readme():
    assert META["Description-Content-Type"] == "text/markdown"
    if INSTALLED:
        assert META.get_payload() == README
    else:  # an editable install's metadata is the README as it was when installed
        assert META.get_payload().startswith("# django-convertedin-feed\n")


# ---------------------------------------------------------------------------
# README links: PyPI shows the README with no repository around it
# ---------------------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
BLOB = re.compile(re.escape(REPOSITORY) + r"/(?:blob|tree)/main/([^#?]+)")
RAW = re.compile(
    re.escape(REPOSITORY.replace("github.com", "raw.githubusercontent.com")) + r"/main/(.+)"
)


#: The README without its code blocks, which hold no links or headings.
PROSE = re.sub(r"```.*?```", "", README, flags=re.S)


def readme_links():
    return LINK.findall(PROSE)


def heading_anchors():
    """The anchors GitHub gives the README's headings."""
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#{1,6} (.+)$", PROSE, re.M)
    }


def test_every_readme_link_is_absolute():
    links = readme_links()
    assert len(links) > 20
    assert [link for link in links if not link.startswith("https://")] == []


def test_every_readme_link_into_the_repository_finds_its_file_or_heading():
    anchors = heading_anchors()
    broken = []
    for link in readme_links():
        if link.startswith(f"{REPOSITORY}#"):
            if link.split("#", 1)[1] not in anchors | {"readme"}:
                broken.append(link)
        elif match := BLOB.fullmatch(link.split("#")[0]) or RAW.fullmatch(link):
            if not (ROOT / match.group(1)).exists():
                broken.append(link)
        elif link.startswith(REPOSITORY) and link not in (REPOSITORY, f"{REPOSITORY}/issues"):
            broken.append(link)  # a repository link of some other form
    assert broken == []
    # The files a reader is sent to are linked, not named as bare paths.
    for path in ("example_project/shop/convertedin.py", "benchmarks/run.py", ".ci/run"):
        assert f"{REPOSITORY}/blob/main/{path}" in README, path


def test_the_readme_says_where_the_repository_is_before_its_commands():
    commands = README.index("## Two commands")
    assert f"git clone {REPOSITORY}" in README[commands : README.index("```sh", commands) + 400]


# ---------------------------------------------------------------------------
# One version, one changelog
# ---------------------------------------------------------------------------

RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2}|Unreleased)$", re.M)


def test_the_version_is_kept_in_one_place_and_is_the_changelog_s_newest():
    assert DIST.version == convertedin_feed.__version__
    versions = [match["version"] for match in RELEASE.finditer(CHANGELOG)]
    assert versions[0] == convertedin_feed.__version__
    # Unreleased is for the newest only; every older one has its date.
    assert [m["date"] for m in RELEASE.finditer(CHANGELOG)][1:].count("Unreleased") == 0


def test_the_changelog_keeps_a_changelog():
    headings = re.findall(r"^## (.+)$", CHANGELOG, re.M)
    assert headings
    assert all(RELEASE.match(f"## {heading}") for heading in headings)
    sections = set(re.findall(r"^### (.+)$", CHANGELOG, re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    for match in RELEASE.finditer(CHANGELOG):
        version = match["version"]
        assert f"[{version}]: {REPOSITORY}/releases/tag/v{version}" in CHANGELOG


# ---------------------------------------------------------------------------
# What the suite runs against
# ---------------------------------------------------------------------------


def record_hash(path):
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_suite_runs_against_the_install_it_was_given():
    direct_url = DIST.read_text("direct_url.json") or ""
    package = Path(convertedin_feed.__file__).resolve().parent
    if INSTALLED in ("wheel", "lowest"):
        # The built wheel, installed: not the checkout, and every file of the source's
        # package is in it, byte for byte (a template or migration it lacks fails here).
        assert '"editable": true' not in direct_url
        assert not package.is_relative_to(ROOT / "src")
        installed = {
            str(f): f.hash.value
            for f in DIST.files
            if str(f).startswith("convertedin_feed/") and f.hash
        }
        source = ROOT / "src" / "convertedin_feed"
        wanted = {
            "convertedin_feed/" + str(p.relative_to(source)): record_hash(p)
            for p in source.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert {name: f"sha256={digest}" for name, digest in installed.items()} == wanted
    else:
        # The README's command: the checkout, installed in editable mode.
        assert INSTALLED == ""
        assert '"editable": true' in direct_url
        assert package == ROOT / "src" / "convertedin_feed"


def declared(extras):
    """The runtime requirements and those of ``extras``: ``[Requirement]``."""
    found = []
    for line in META.get_all("Requires-Dist"):
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras):
            found.append(requirement)
    return found


def floor(requirement):
    """The version of the requirement's ``>=``, or ``None``."""
    floors = [s.version for s in requirement.specifier if s.operator == ">="]
    return floors[0] if len(floors) == 1 else None


@pytest.mark.parametrize("requirement", declared(EXTRAS), ids=lambda requirement: requirement.name)
def test_every_dependency_is_installed_at_its_floor_in_the_lowest_environment(requirement):
    installed = importlib.metadata.version(requirement.name)
    if INSTALLED == "lowest":
        # lowest-direct resolution: the declared floor itself, so it is one that exists
        # and that this suite passes with.
        assert Version(installed) == Version(floor(requirement))
    else:
        assert requirement.specifier.contains(installed, prereleases=True)


TOX_INI = (ROOT / "tox.ini").read_text(encoding="utf-8")


def test_every_extra_s_floors_are_held_by_a_lowest_environment():
    """Each extra is one a lowest-direct tox environment names (and so checks at its
    floors with the test above), or asks only what the test extra asks."""
    held = {"test"}
    for extras in re.findall(r"CONVERTEDIN_FEED_EXTRAS = (\S+)", TOX_INI):
        held |= set(extras.split(","))
    test = {str(r) for r in declared({"test"}) if r.marker}
    for extra in set(META.get_all("Provides-Extra")) - held:
        asks = {str(r) for r in declared({extra}) if r.marker}
        assert {a.replace(f'"{extra}"', '"test"') for a in asks} <= test, extra


def test_every_requirement_has_a_floor():
    assert [str(r) for r in declared(set(META.get_all("Provides-Extra"))) if not floor(r)] == []
