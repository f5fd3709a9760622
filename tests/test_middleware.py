"""crimac.middleware.RejectNulMiddleware: NUL never reaches the database (PostgreSQL refuses it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crimac.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_nul_in_a_json_body_is_a_problem_400_and_nothing_is_written(client_for: Any) -> None:
    from crimac.alerts.models import Alert

    before = Alert.objects.count()
    body = json.dumps({"category": "missing_person", "title": "girl\u0000 missing"})
    response = client_for("dl.sho").post("/api/v1/alerts", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "NUL" in response.json()["detail"]
    assert Alert.objects.count() == before
    assert AuditEvent.objects.filter(action="request.rejected", detail__where="the JSON body").exists()


def test_nul_in_an_api_query_is_refused(client_for: Any) -> None:
    response = client_for("dl.sho").get("/api/v1/agencies", {"q": "a\x00"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("query parameter 'q'")


def test_text_without_nul_passes(client_for: Any) -> None:
    assert client_for("dl.sho").get("/api/v1/agencies", {"q": "Kotwali", "limit": 1}).status_code == 200


def test_record_strips_nul_from_what_it_stores() -> None:
    from crimac.audit.actions import record

    event = record("test.nul", object_repr="a\x00b", detail={"username": "x\x00y"})
    event.refresh_from_db()
    assert event.object_repr == "ab"
    assert event.detail == {"username": "xy"}
