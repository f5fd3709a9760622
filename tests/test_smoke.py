"""The project stands up: settings, URLs, the demo directory the suite runs on."""

import pytest

from crimac.directory.models import Agency, State, User


@pytest.mark.django_db
def test_session_directory_is_loaded() -> None:
    assert State.objects.count() == 36
    assert Agency.objects.filter(code="DL-NEWDELHI-PS-001").exists()
    assert User.objects.filter(username="dl.sho").exists()


def test_healthz(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
