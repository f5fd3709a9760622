"""`/api/v1/search` over real HTTP against `crimac serve`: an alert posted through the API is found
at once by the same agency, with its highlights; another State's key finds nothing; bad input is a
problem, not a 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.server


@pytest.fixture
def http(live_crimac: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_crimac.base_url, timeout=60) as client:
        yield client


def key_for(live_crimac: Any, agency: str) -> dict[str, str]:
    key = live_crimac.crimac(
        "apikey", "create", "--agency", agency, "--name", f"search {uuid.uuid4().hex[:6]}"
    )
    return {"Authorization": f"Bearer {key.stdout.strip()}"}


def test_search_over_http(live_crimac: Any, http: httpx.Client) -> None:
    delhi, assam = key_for(live_crimac, "DL-HQ"), key_for(live_crimac, "AS-HQ")
    word = f"Zq{uuid.uuid4().hex[:8]}"
    body = {
        "category": "missing_person",
        "title": f"Missing girl {word} from Kotwali",
        "narrative": "Left school at 2 pm.",
        "persons": [
            {"role": "missing", "name": "आशा कुमारी", "gender": "female", "age_min": 14, "age_max": 14}
        ],
        "vehicles": [{"registration": "DL 3C AB 1234", "vehicle_type": "car"}],
    }
    posted = http.post("/api/v1/alerts", json=body, headers=delhi)
    assert posted.status_code == 201, posted.text[:500]
    reference = posted.json()["reference"]

    found = http.get("/api/v1/search", params={"q": f"{word} girls"}, headers=delhi)
    assert found.status_code == 200, found.text[:500]
    hits = found.json()["results"]
    assert [h["reference"] for h in hits] == [reference]
    assert "<mark>girl</mark>" in hits[0]["title_highlighted"]
    by_plate = http.get("/api/v1/search", params={"q": "dl-3c-ab-1234"}, headers=delhi).json()
    assert reference in [h["reference"] for h in by_plate["results"]]
    by_name = http.get("/api/v1/search", params={"q": f"asha {word}"}, headers=delhi).json()
    assert [h["reference"] for h in by_name["results"]] == [reference]

    outsider = http.get("/api/v1/search", params={"q": word}, headers=assam)
    assert outsider.json() == {"count": 0, "capped": False, "next": None, "results": []}

    for q in ["", "a", "x" * 10_000, '"NEAR(*:-)"']:
        r = http.get("/api/v1/search", params={"q": q}, headers=delhi)
        assert r.status_code in (200, 422), (q[:20], r.status_code, r.text[:300])
        assert "Traceback" not in r.text
    assert http.get("/api/v1/search", params={"q": word}).status_code == 401
