"""Hypothesis over the query parameters of the search endpoints, on whichever database the suite
runs: any text is answered with results or a 4xx problem naming the field, never a 500, and the
index is unharmed afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

SYNTAX = [
    '"',
    "'",
    "*",
    "NEAR",
    "NEAR/2",
    ":",
    "-",
    "(",
    ")",
    "AND",
    "OR",
    "NOT",
    "^",
    "{",
    "}",
    "+",
    "~",
    "\\",
    "%",
    "_",
    ";",
    "--",
    "/*",
    "*/",
    "<->",
    "&",
    "|",
    "!",
    "title:",
    "asha",
    "आशा",
    "ਆਸ਼ਾ",
    "ஆஷா",
    "DL3CAB1234",
    "9876543210",
    "\x01",
    "\x1f",
    "\u200b",
    "\ue000",
    "\ue001",
    "😀",
    " ",
    "  ",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)
QUERIES = st.one_of(
    TEXT,
    st.lists(st.sampled_from(SYNTAX), max_size=12).map("".join),
    st.lists(st.sampled_from(SYNTAX), max_size=12).map(" ".join),
    st.builds(lambda a, b: a + b, TEXT, st.lists(st.sampled_from(SYNTAX), max_size=6).map(" ".join)),
)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
UNLIMITED = override_settings(SEARCH_RATE_LIMIT=(10**9, 60), SEARCH_PERSON_RATE_LIMIT=(10**9, 60))


def answered(response: Any, field: str) -> None:
    assert response.status_code in (200, 422), response.content[:300]
    body = response.json()
    if response.status_code == 422:
        assert response["Content-Type"] == "application/problem+json"
        assert body["errors"][0]["field"] == field
    else:
        assert isinstance(body["count"], int) and isinstance(body["results"], list)


@pytest.fixture
def officer(post: Any, client_for: Any) -> Client:
    post("dl.sho", title="Asha Kumari missing", persons=[{"role": "missing", "name": "आशा कुमारी"}])
    return client_for("dl.sho")  # type: ignore[no-any-return]


@UNLIMITED
@FUZZ
@given(q=QUERIES)
def test_full_text_query(officer: Client, q: str) -> None:
    answered(officer.get("/api/v1/search", {"q": q}), "q")


@UNLIMITED
@FUZZ
@given(name=QUERIES, age=st.one_of(st.just(""), TEXT))
def test_person_query(officer: Client, name: str, age: str) -> None:
    response = officer.get("/api/v1/persons/search", {"name": name, "age": age})
    assert response.status_code in (200, 422), response.content[:300]
    if response.status_code == 422:
        assert response.json()["errors"][0]["field"] in {"name", "age"}


@UNLIMITED
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=QUERIES)
def test_vehicle_and_phone_values(officer: Client, value: str) -> None:
    response = officer.get("/api/v1/vehicles/search", {"registration": value})
    assert response.status_code in (200, 422), response.content[:300]
    response = officer.get("/api/v1/phones/search", {"number": value})
    assert response.status_code in (200, 422), response.content[:300]


@UNLIMITED
def test_the_index_is_unharmed(officer: Client) -> None:
    for q in ['asha" OR "1"="1', "asha'; DELETE FROM search_alertdocument; --", 'asha") OR ("x']:
        assert officer.get("/api/v1/search", {"q": q}).status_code == 200
    assert officer.get("/api/v1/search", {"q": "asha"}).json()["count"] == 1
