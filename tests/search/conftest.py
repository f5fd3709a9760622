"""Alerts to search for, posted through the same actions officers use (so the hooks index them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from crimac.alerts.actions import create_alert
from crimac.alerts.schemas import AlertIn


def alert_in(**fields: Any) -> AlertIn:
    data: dict[str, Any] = {
        "category": "missing_person",
        "title": "Missing girl, 14, from Kotwali",
        "narrative": "Left school at 2 pm and did not reach home.",
        "persons": [
            {"role": "missing", "name": "Asha Kumari", "gender": "female", "age_min": 13, "age_max": 15}
        ],
    }
    data.update(fields)
    return AlertIn.model_validate(data)


@pytest.fixture
def post(user_named: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """post("dl.sho", title=..., ...) publishes an alert as that user and returns it."""

    def make(who: str, *, publish: bool = True, **fields: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return create_alert(alert_in(**fields), actor=user_named(who), publish=publish).alert

    return make


@pytest.fixture
def sql_run() -> Any:
    """`with sql_run() as queries:` the SQL of every query run inside, as written (with %s), to
    say which way a search went."""

    @contextmanager
    def watch() -> Iterator[list[str]]:
        queries: list[str] = []

        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            yield queries

    return watch
