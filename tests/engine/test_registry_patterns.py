"""Cookie-name patterns: ``*`` globs matched without backtracking, in time linear in the name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookieconsent.engine.registry import get_registry, glob_match
from cookieconsent.models import Cookie
from cookieconsent.testing import cookies_set
from tests.helpers import publish_draft

#: Letters a pattern may be made of (a few, so that names often match) and its wildcard.
LITERALS = st.text(alphabet="a_.", min_size=0, max_size=4)


@st.composite
def patterns(draw: st.DrawFn) -> tuple[str, ...]:
    """Segments of a pattern the validator accepts with at least two ``*``-separated parts:
    no ``**`` (no empty segment between two stars) and at least one literal character."""
    middle = draw(st.lists(LITERALS.filter(bool), min_size=0, max_size=4))
    segments = (draw(LITERALS), *middle, draw(LITERALS))
    if not "".join(segments):
        segments = ("a", *segments[1:])
    return segments


def reference(segments: tuple[str, ...], name: str) -> bool:
    """The regular expression the registry used to compile: correct, but it backtracks."""
    return re.fullmatch(".*".join(map(re.escape, segments)), name, re.DOTALL) is not None


class CountingName(str):
    """A cookie name that counts the scans made over it (each a single pass in C)."""

    scans = 0

    def find(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingName.scans += 1
        return super().find(*args, **kwargs)

    def startswith(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingName.scans += 1
        return super().startswith(*args, **kwargs)

    def endswith(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingName.scans += 1
        return super().endswith(*args, **kwargs)


def scans(segments: tuple[str, ...], name: str) -> int:
    CountingName.scans = 0
    glob_match(segments, CountingName(name))
    return CountingName.scans


@given(patterns(), st.text(alphabet="a_.b", max_size=30))
@settings(deadline=None)  # a loaded machine must not fail a test that times nothing
def test_glob_matches_as_the_regular_expression_does(segments, name):
    assert glob_match(segments, name) is reference(segments, name)


@given(patterns(), st.text(alphabet="a_.", min_size=1, max_size=20), st.integers(1, 50))
@settings(max_examples=100, deadline=None)
def test_matching_makes_one_scan_per_segment_whatever_the_length(segments, unit, repeat):
    """No backtracking: the number of passes over the name depends on the pattern only (one
    ``startswith``, one ``endswith``, at most one ``find`` per inner segment), so the time is
    at most linear in the name times the pattern's length."""
    short, long = unit * repeat, unit * repeat * 8
    bound = len(segments)  # 2 anchors + (len - 2) inner finds
    assert scans(segments, short) <= bound
    assert scans(segments, long) <= bound


def test_the_backtracking_case_is_one_scan_per_segment():
    """``*_*_*.*`` against 4,000 underscores took 10 s through the alternation regex."""
    pattern = "*_*_*.*"
    segments = tuple(pattern.split("*"))
    assert scans(segments, "_" * 4000) <= len(segments)
    assert glob_match(segments, "_" * 4000) is False
    assert glob_match(segments, "_" * 4000 + ".") is True


@pytest.mark.django_db
def test_a_hostile_name_against_a_hostile_pattern_through_the_middleware(client, categories):
    Cookie.objects.create(category=categories["analytics"], name="*_*_*.*")
    publish_draft()
    name = "_" * 4000
    assert get_registry().lookup(name) is None
    assert get_registry().lookup(name + ".x").slug == "analytics"
    response = client.get("/t/set/", {"c": [name, "necessary_c"]})
    assert response.status_code == 200
    assert cookies_set(response) == {"necessary_c"}  # undeclared: blocked


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("a*bc*c", "abc", False),  # "bc" may not lend the last segment its "c"
        ("a*bc*c", "abcc", True),
        ("ab*ba", "aba", False),  # nor the first segment lend the last its "b"
        ("ab*ba", "abba", True),
        ("a*b*b*c", "abc", False),  # two middle segments need two "b"s
        ("a*b*b*c", "abbc", True),
    ],
)
def test_segments_never_share_a_character(pattern, name, matches):
    """Each ``*`` stands between its segments: a name matches only if every segment finds a
    place of its own, in order. The property test above finds these by chance; they are
    pinned here."""
    segments = tuple(pattern.split("*"))
    assert glob_match(segments, name) is matches
    assert reference(segments, name) is matches


@pytest.mark.django_db
def test_lookup_precedence_exact_prefix_suffix_then_other_patterns(categories):
    for name, slug in [
        ("ab_*_z", "necessary"),  # other pattern
        ("*_z", "security"),  # suffix
        ("ab_*", "functional"),  # prefix
        ("ab_x_z", "analytics"),  # exact
        ("a*_*", "analytics"),  # another pattern, declared later
    ]:
        Cookie.objects.create(category=categories[slug], name=name)
    publish_draft()
    registry = get_registry()
    assert registry.lookup("ab_x_z").slug == "analytics"
    assert registry.lookup("ab_y_z").slug == "functional"
    assert registry.lookup("xy_z").slug == "security"
    assert registry.lookup("aq_q").slug == "analytics"
