"""Several `crimac escalate` processes at once against one real database (SQLite file or
PostgreSQL): every overdue delivery climbs exactly once, and each control room is told once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import LiveCrimac

pytestmark = pytest.mark.server

WORKERS = 4


def test_several_workers_escalate_each_delivery_once(live_crimac: LiveCrimac) -> None:
    key = live_crimac.crimac(
        "apikey", "create", "--agency", "HR-HQ", "--name", "escalation test"
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    refs = []
    for n in range(4):
        body = {
            "category": "missing_person",
            "title": f"Boy missing near the railway station ({n})",
            "priority": "flash",
            "persons": [{"role": "missing", "name": "Ravi", "gender": "male", "age_min": 7, "age_max": 8}],
            "audience": {"states": ["DL"]},
        }
        r = httpx.post(f"{live_crimac.base_url}/api/v1/alerts", json=body, headers=headers, timeout=30)
        assert r.status_code == 201, r.text
        refs.append(r.json()["reference"])
    # A day later every delivery is overdue; each run climbs one step, so the result is fixed.
    at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    command = [sys.executable, "-m", "crimac.cli", "escalate", "--once", "--at", at]
    procs = [
        subprocess.Popen(
            command, env=live_crimac.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(WORKERS)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    claimed = sum(int(out.split()[0]) for out, _ in outputs)
    total = 0
    for ref in refs:
        r = httpx.get(f"{live_crimac.base_url}/api/v1/alerts/{ref}/deliveries", headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        data = r.json()
        rooms = Counter(e["to"] for e in data["escalations"])
        assert rooms and max(rooms.values()) == 1, rooms
        assert "DL-CR" in rooms and "DL-NEWDELHI-DCR" in rooms
        assert all(e["level"] == 1 for e in data["escalations"])
        # Every original recipient below a control room climbed exactly one step.
        levels = Counter(d["escalation_level"] for d in data["deliveries"] if d["reason"] != "escalation")
        assert set(levels) <= {0, 1}
        assert levels[1] >= len(rooms)
        total += len(rooms)
    # The shared server may hold overdue flash alerts of earlier tests, which these runs also
    # escalate; that each of these climbed once is asserted above, per alert.
    assert claimed >= total
    # Running again at the same moment finds nothing to do.
    again = live_crimac.crimac(*command[3:])
    assert again.stdout.startswith("0 escalation(s)")
