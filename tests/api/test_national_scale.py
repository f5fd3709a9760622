"""National scale: `crimac demo --stations 16361` builds the directory, and the agency list
endpoint pages through every agency over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_crimac

pytestmark = [pytest.mark.server, pytest.mark.slow]

STATIONS = 16361


def test_demo_at_national_scale_pages_through_every_agency(tmp_path: Path) -> None:
    with running_crimac(tmp_path, "--stations", str(STATIONS), "--alerts", "0") as live:
        key = live.crimac("apikey", "create", "--agency", "NCRB", "--name", "scale test").stdout.strip()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as http:
            response = http.get("/api/v1/agencies", params={"kind": "police_station", "limit": 1})
            assert response.status_code == 200, (key, response.text)
            assert response.json()["count"] == STATIONS

            url: str | None = "/api/v1/agencies?limit=500"
            codes: list[str] = []
            total = None
            pages = 0
            while url:
                response = http.get(url)
                assert response.status_code == 200, response.text
                page = response.json()
                total = page["count"] if total is None else total
                assert page["count"] == total
                codes.extend(a["code"] for a in page["results"])
                url = page["next"]
                pages += 1
        assert len(codes) == total == len(set(codes))
        assert codes == sorted(codes)
        assert sum(1 for c in codes if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]+-PS-\d{3}", c)) == STATIONS
        assert pages == -(-total // 500)


@pytest.mark.django_db
def test_every_generated_key_authenticates() -> None:
    """Keys hold url-safe base64, which includes "_": the parser must not split inside it."""
    from crimac.directory import actions
    from crimac.directory.models import Agency

    agency = Agency.objects.get(code="DL-HQ")
    for n in range(60):
        raw = actions.create_api_key(agency, f"k{n}", actor=None).raw
        assert actions.authenticate_api_key(raw).agency_id == agency.pk
