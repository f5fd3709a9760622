"""Oversight's counts under concurrent publishing on a real server: several clients posting at
once from the same agency and State (the same count rows) and a bulk in between leave counts
that agree with a recount from the alerts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.server

CLIENTS = 6
EACH = 4


def body(n: int, category: str = "general_advisory") -> dict[str, Any]:
    return {"category": category, "title": f"Concurrent count {n}", "priority": "routine"}


def test_concurrent_publishing_keeps_counts_that_agree_with_a_recount(live_crimac: Any) -> None:
    keys = {
        code: live_crimac.crimac("apikey", "create", "--agency", code, "--name", "tally").stdout.strip()
        for code in ("DL-HQ", "DL-NEWDELHI-PS-001")
    }
    before = live_crimac.crimac("oversight-tally", "--check")
    assert "agree" in before.stdout
    barrier = threading.Barrier(CLIENTS + 1)

    def post_many(i: int) -> list[int]:
        code = "DL-HQ" if i % 2 else "DL-NEWDELHI-PS-001"
        headers = {"Authorization": f"Bearer {keys[code]}"}
        statuses = []
        with httpx.Client(base_url=live_crimac.base_url, timeout=60, headers=headers) as http:
            barrier.wait()
            for n in range(EACH):
                category = "heinous_crime" if n % 2 else "general_advisory"
                statuses.append(http.post("/api/v1/alerts", json=body(i * 100 + n, category)).status_code)
        return statuses

    def bulk() -> list[int]:
        headers = {"Authorization": f"Bearer {keys['DL-HQ']}"}
        with httpx.Client(base_url=live_crimac.base_url, timeout=120, headers=headers) as http:
            barrier.wait()
            r = http.post("/api/v1/alerts/bulk", json={"alerts": [body(9000 + n) for n in range(25)]})
            return [r.status_code, r.json().get("created", 0)]

    with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
        posting = [pool.submit(post_many, i) for i in range(CLIENTS)]
        answer = pool.submit(bulk)  # all start together at the barrier
        singles = [f.result() for f in posting]
        bulk_status = answer.result()
    assert all(s == 201 for statuses in singles for s in statuses), singles
    assert bulk_status == [200, 25]

    check = live_crimac.crimac("oversight-tally", "--check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "agree" in check.stdout
