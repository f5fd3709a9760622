"""Cursors are commit order: while one transaction holds a feed event id it has not committed, no
other transaction can take one. Otherwise the second could commit first with the higher id, a
client would be sent it, and resuming from that cursor would skip the first forever.

Two real connections (two threads) on PostgreSQL; SQLite serialises every writer already
(BEGIN IMMEDIATE), so there is nothing to race there."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from crimac.alerts.models import Alert
from crimac.directory.models import Agency
from crimac.dissemination import feed


class Rollback(Exception):
    """Leave the shared test database as it was."""


def writer(
    alert: Alert, to: Agency, got: list[int], holding: threading.Event, release: threading.Event
) -> None:
    """In a transaction of its own: record a notice, say so, wait, roll back."""
    try:
        with transaction.atomic():
            event = feed.record_notice(
                alert, "match", {"reference": "DL-2026-000001", "message": "a possible match"}, to=to
            )
            got.append(event.pk)
            holding.set()
            release.wait(timeout=30)
            raise Rollback
    except Rollback:
        pass
    finally:
        connection.close()


@pytest.mark.django_db
def test_a_second_writer_waits_until_the_first_one_with_an_event_id_ends() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the race needs PostgreSQL")
    to = Agency.objects.get(code="DL-HQ")
    # Never committed (both transactions roll back), so the alert need not exist: the foreign
    # key is checked at commit.
    alert = Alert(pk=2**40)
    first: list[int] = []
    second: list[int] = []
    first_holds, second_holds, release = threading.Event(), threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=writer, args=(alert, to, first, first_holds, release)),
        threading.Thread(target=writer, args=(alert, to, second, second_holds, release)),
    ]
    threads[0].start()
    try:
        assert first_holds.wait(timeout=10)
        threads[1].start()
        # Without the lock the second writer would have its id (higher) and could commit first.
        assert not second_holds.wait(timeout=1.0)
        assert second == []
    finally:
        release.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join(timeout=30)
    assert second_holds.is_set()
    assert first and second and second[0] > first[0]
