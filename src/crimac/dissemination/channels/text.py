"""What e-mail and SMS say, from a message's payload (see `outbox.payload_for`)."""

from __future__ import annotations

from typing import Any

from crimac.dissemination.channels.conf import public_url

EVENT_WORDS = {
    "published": "new alert",
    "revised": "revised",
    "cancelled": "CANCELLED",
    "resolved": "resolved",
    "escalated": "ESCALATED to you",
}
SMS_MAX = 160


def link(payload: dict[str, Any]) -> str:
    return public_url() + str(payload["alert"]["path"])


def subject(payload: dict[str, Any]) -> str:
    a = payload["alert"]
    event = EVENT_WORDS.get(payload["event"], payload["event"])
    return f"[crimac] {a['priority'].upper()} {a['reference']} ({event}): {a['title']}"[:250]


def email_body(payload: dict[str, Any]) -> str:
    a = payload["alert"]
    lines = [
        f"{a['reference']}: {a['title']}",
        "",
        f"Event:     {EVENT_WORDS.get(payload['event'], payload['event'])} (revision {a['revision']})",
        f"Priority:  {a['priority']}",
        f"Category:  {a['category_label']}",
        f"From:      {a['origin']} ({a['origin_name']})",
        f"State:     {a['state']}",
        f"For:       {payload['agency']} ({payload['reason']})",
    ]
    if a.get("action_requested"):
        lines.append(f"Action:    {a['action_requested']}")
    if a.get("acknowledge_by") and payload["event"] in {"published", "revised"}:
        lines.append(f"Acknowledge by: {a['acknowledge_by']}")
    if a.get("summary"):
        lines += ["", a["summary"]]
    lines += ["", f"Open it: {link(payload)}", "", f"Message id: {payload['id']}"]
    return "\n".join(lines) + "\n"


def sms_text(payload: dict[str, Any]) -> str:
    """One SMS (160 characters) when it can be: the title is shortened, never the reference,
    priority or link."""
    a = payload["alert"]
    event = EVENT_WORDS.get(payload["event"], payload["event"])
    head = f"{a['priority'].upper()} {a['reference']} {event}: "
    tail = f" {link(payload)}"
    room = max(SMS_MAX - len(head) - len(tail), 20)
    title = a["title"] if len(a["title"]) <= room else a["title"][: room - 1].rstrip() + "…"
    return head + title + tail
