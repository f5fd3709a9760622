"""The one table of alert categories, and the catalogue endpoints of the API."""

from __future__ import annotations

from typing import Any

import pytest

from crimac.alerts.choices import (
    CATEGORIES,
    CATEGORY_BY_VALUE,
    CATEGORY_CHOICES,
    TRAFFICKING_CATEGORIES,
    ActionRequested,
    Priority,
    ack_deadline,
)
from crimac.alerts.models import Alert


def test_every_category_is_complete() -> None:
    assert CATEGORIES
    for c in CATEGORIES:
        assert c.value and c.value == c.value.strip().lower(), c
        assert c.label.strip(), c
        assert len(c.description.strip()) > 10, c
        assert c.default_action in ActionRequested.values, c
        assert c.default_priority in Priority.values, c


def test_category_values_and_labels_are_unique() -> None:
    values = [c.value for c in CATEGORIES]
    labels = [c.label for c in CATEGORIES]
    assert len(values) == len(set(values))
    assert len(labels) == len(set(labels))
    assert list(CATEGORY_BY_VALUE) == values
    assert [(c.value, c.label) for c in CATEGORIES] == CATEGORY_CHOICES


def test_category_values_fit_the_alert_columns() -> None:
    category = Alert._meta.get_field("category")
    action = Alert._meta.get_field("action_requested")
    priority = Alert._meta.get_field("priority")
    for c in CATEGORIES:
        assert len(c.value) <= category.max_length
        assert len(c.default_action) <= action.max_length
        assert len(c.default_priority) <= priority.max_length
    assert {value for value, _ in category.choices} == set(CATEGORY_BY_VALUE)


def test_every_default_priority_has_an_acknowledgement_deadline() -> None:
    for c in CATEGORIES:
        assert ack_deadline(c.default_priority).total_seconds() > 0
    deadlines = [
        ack_deadline(p) for p in (Priority.FLASH, Priority.IMMEDIATE, Priority.PRIORITY, Priority.ROUTINE)
    ]
    assert deadlines == sorted(deadlines)


def test_trafficking_categories() -> None:
    assert {"human_trafficking", "rescued_victim"} == TRAFFICKING_CATEGORIES
    assert CATEGORY_BY_VALUE["human_trafficking"].trafficking
    assert CATEGORY_BY_VALUE["rescued_victim"].trafficking
    assert not CATEGORY_BY_VALUE["missing_person"].trafficking


def test_some_defaults() -> None:
    assert CATEGORY_BY_VALUE["terror_incident"].default_priority == Priority.FLASH
    assert CATEGORY_BY_VALUE["wanted_person"].default_action == ActionRequested.ARREST
    assert CATEGORY_BY_VALUE["stolen_vehicle"].default_action == ActionRequested.RECOVER


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_every_category_in_order(client_for: Any) -> None:
    r = client_for("dl.sho").get("/api/v1/alerts/categories")
    assert r.status_code == 200, r.content[:500]
    body = r.json()
    assert [c["value"] for c in body] == [c.value for c in CATEGORIES]
    for got, c in zip(body, CATEGORIES, strict=True):
        assert got == {
            "value": c.value,
            "label": c.label,
            "description": c.description,
            "default_action": str(c.default_action),
            "default_priority": c.default_priority,
            "trafficking": c.trafficking,
        }


@pytest.mark.django_db
def test_api_finds_ipc_370_with_its_bns_counterpart(client_for: Any) -> None:
    r = client_for("dl.sho").get("/api/v1/alerts/sections", {"q": "370"})
    assert r.status_code == 200, r.content[:500]
    found = {s["citation"]: s for s in r.json()}
    assert found["IPC 370"] == {
        "citation": "IPC 370",
        "code": "IPC",
        "section": "370",
        "title": "Trafficking of persons",
        "counterpart": "BNS 143",
        "counterpart_uncertain": False,
        "trafficking": True,
    }
    assert found["IPC 370A"]["counterpart"] == "BNS 144"
    assert all(s["section"].startswith("370") or "370" in s["title"] for s in found.values())


@pytest.mark.django_db
def test_api_sections_search_by_code_and_section(client_for: Any) -> None:
    client = client_for("dl.sho")
    body = client.get("/api/v1/alerts/sections", {"q": "bns 143"}).json()
    assert [s["citation"] for s in body] == ["BNS 143"]
    assert body[0]["counterpart"] == "IPC 370"
    uncertain = client.get("/api/v1/alerts/sections", {"q": "IPC 374"}).json()
    assert [(s["counterpart"], s["counterpart_uncertain"]) for s in uncertain] == [("BNS 146", True)]


@pytest.mark.django_db
def test_api_sections_without_a_query_lists_the_catalogue(client_for: Any) -> None:
    from crimac.alerts.models import LegalSection

    body = client_for("dl.sho").get("/api/v1/alerts/sections").json()
    assert len(body) == min(100, LegalSection.objects.count())
    assert {s["code"] for s in body} >= {"BNS", "IPC"}
