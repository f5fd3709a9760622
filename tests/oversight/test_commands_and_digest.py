"""`crimac report participation` in every format, the weekly digest's recipients and contents,
and `crimac digest`."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from crimac.audit.models import AuditEvent
from crimac.directory.models import Agency, User
from crimac.dissemination.models import Delivery
from crimac.oversight import actions, digest
from crimac.oversight.models import Notice
from tests.conftest import make_user
from tests.oversight.history import at, post

pytestmark = pytest.mark.django_db

MARCH = ["--from", "2026-03-01", "--to", "2026-03-31"]


def _report(*args: str) -> str:
    out = io.StringIO()
    call_command("report", "participation", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history(db: Any) -> None:
    post("DL-NEWDELHI-PS-001", at("2026-03-02"), 3)
    post("AS-KAMRUPMETRO-PS-001", at("2026-03-05"), 2)


def test_report_json_and_csv(history: None) -> None:
    body = json.loads(_report(*MARCH, "--format", "json"))
    assert body["national"]["alerts"] == 5 and body["top_states"] == ["DL", "AS"]
    csv_text = _report(*MARCH, "--format", "csv", "--state", "dl")
    lines = csv_text.splitlines()
    assert lines[0].startswith("level,state,code,name,agencies,stations,alerts")
    assert any(line.startswith("state,DL,DL,Delhi,") and ",3," in line for line in lines)
    assert any(line.startswith("station,DL,DL-NEWDELHI-PS-001,") for line in lines)


def test_report_html_reads_like_a_briefing(history: None) -> None:
    html = _report(*MARCH, "--format", "html")
    assert "5 alerts were posted against" in html
    assert "Delhi and Assam posted the most." in html
    assert "34 States/UTs posted none:" in html
    assert 'class="tile-map"' in html and 'Period: <span id="period">2026-03-01 to 2026-03-31' in html
    assert 'id="compliance"' in html and "Generated" in html


def test_report_pdf(history: None, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    _report(*MARCH, "--format", "pdf", "--output", str(target))
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-10", "--to", "2026-03-01"], "--to: the period ends before it starts"),
        (["--from", "10/03/2026"], "--from: give a date as YYYY-MM-DD"),
        (["--state", "XX"], "--state: unknown State/UT code 'XX'"),
    ],
)
def test_report_bad_input(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _report(*args)


# --- the weekly digest ---------------------------------------------------------------------------

MONDAY = date(2026, 3, 16)  # the digest covers 9 to 15 March


def test_last_week_is_the_previous_monday_to_sunday() -> None:
    for today in (MONDAY, MONDAY + timedelta(days=3), MONDAY + timedelta(days=6)):
        week = digest.last_week(today)
        assert (week.start, week.end) == (date(2026, 3, 9), date(2026, 3, 15))


def test_digest_recipients_are_nodal_officers_and_district_control_rooms() -> None:
    room_user = make_user("dl.dcr", "DL-NEWDELHI-DCR", "officer", email="dcr@delhi.example")
    User.objects.filter(username="dl.nodal").update(email="nodal@delhi.example")
    Agency.objects.filter(code="DL-NEWDELHI-DCR").update(contact_email="newdelhi-dcr@police.example")
    plans = digest.plan_digests(digest.last_week(MONDAY))
    state_plans = {d.agency.code: d for d in plans if d.kind == "state_digest"}
    assert set(state_plans) == {"DL-HQ", "AS-HQ", "HR-HQ", "JH-HQ"}  # the demo's nodal officers
    assert [u.username for u in state_plans["DL-HQ"].users] == ["dl.nodal"]
    assert state_plans["DL-HQ"].emails == ["nodal@delhi.example"]
    rooms = {d.agency.code: d for d in plans if d.kind == "district_digest"}
    assert len(rooms) == Agency.objects.filter(kind="district_control_room", active=True).count()
    newdelhi = rooms["DL-NEWDELHI-DCR"]
    assert newdelhi.users == [room_user] and newdelhi.to_agency
    assert newdelhi.emails == ["dcr@delhi.example", "newdelhi-dcr@police.example"]
    # Nobody else: no SHO, no analyst, no State control room.
    everyone = {u.username for d in plans for u in d.users}
    assert everyone == {"dl.nodal", "as.nodal", "hr.nodal", "jh.nodal", "dl.dcr"}


def test_digest_lists_silent_stations_and_waiting_alerts(django_capture_on_commit_callbacks: Any) -> None:
    User.objects.filter(username="dl.nodal").update(email="nodal@delhi.example")
    post("DL-NEWDELHI-PS-001", at("2026-03-10"), 1)
    waiting = post("HR-GURUGRAM-PS-001", at("2026-03-11"), 1)[0]
    sent = at("2026-03-11", 13)
    Delivery.objects.create(
        alert=waiting, agency=Agency.objects.get(code="DL-NEWDELHI-PS-002"), reason="t", revision=1,
        created_at=sent, updated_at=sent, deadline=sent + timedelta(hours=1),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = actions.send_digests(actor=None, today=MONDAY)
    dl = Notice.objects.get(user__username="dl.nodal")
    assert dl.period_start == date(2026, 3, 9) and dl.period_end == date(2026, 3, 15)
    stations = Agency.objects.filter(state__code="DL", kind="police_station", active=True).count()
    assert dl.data["silent_count"] == stations - 1
    assert "DL-NEWDELHI-PS-001" not in dl.data["silent"] and "DL-NEWDELHI-PS-002" in dl.data["silent"]
    assert dl.data["waiting"] == [waiting.reference] and dl.data["waiting_count"] == 1
    assert waiting.reference in dl.body
    room = Notice.objects.get(agency__code="DL-NEWDELHI-DCR")
    assert room.user is None and room.data["waiting"] == [waiting.reference]
    assert room.data["silent"] == ["DL-NEWDELHI-PS-002"]
    to_nodal = [m for m in mail.outbox if m.to == ["nodal@delhi.example"]]
    assert len(to_nodal) == 1 and waiting.reference in to_nodal[0].body
    assert result.notices == Notice.objects.count()
    assert AuditEvent.objects.filter(action="oversight.digest").count() == 1
    # Again in the same week: nothing new, nothing mailed twice.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = actions.send_digests(actor=None, today=MONDAY + timedelta(days=2))
    assert again.notices == 0 and again.skipped == result.notices and mail.outbox == []


def test_notices_page_shows_own_and_agency_notices(client_for: Any) -> None:
    make_user("dl.dcr", "DL-NEWDELHI-DCR", "officer")
    actions.send_digests(actor=None, today=MONDAY)
    html = client_for("dl.dcr").get("/oversight/notices/").content.decode()
    assert "Weekly digest for New Delhi district (DL)" in html
    nodal = client_for("dl.nodal").get("/oversight/notices/").content.decode()
    assert "Weekly digest for Delhi" in nodal and "New Delhi district" not in nodal
    assert "No notices." in client_for("as.sho").get("/oversight/notices/").content.decode()


def test_digest_command_is_off_by_default_and_dry_run_writes_nothing(settings: Any) -> None:
    out = io.StringIO()
    call_command("digest", stdout=out)
    assert "off" in out.getvalue() and Notice.objects.count() == 0
    out = io.StringIO()
    call_command("digest", "--dry-run", stdout=out)
    assert "would write" in out.getvalue() and Notice.objects.count() == 0
    settings.CRIMAC_DIGEST = True
    out = io.StringIO()
    call_command("digest", stdout=out)
    assert Notice.objects.count() > 0 and "wrote" in out.getvalue()


def test_digest_is_on_in_production_settings(settings: Any, tmp_path: Any) -> None:
    """The setting follows the environment: off here (tests), on in production unless turned off."""
    import os
    import subprocess
    import sys

    assert settings.CRIMAC_DIGEST is False and not digest.enabled()
    settings.CRIMAC_DIGEST = True
    assert digest.enabled()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CRIMAC_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env |= {
        "CRIMAC_ENV": "production",
        "CRIMAC_SECRET_KEY": "p" * 30 + "roduction-secret-key-for-the-test",
        "CRIMAC_ALLOWED_HOSTS": "crimac.example",
        "CRIMAC_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "crimac.settings",
    }
    code = "import django; django.setup(); from django.conf import settings; print(settings.CRIMAC_DIGEST)"
    for extra, expected in (({}, "True"), ({"CRIMAC_DIGEST": "0"}, "False")):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env | extra, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected
