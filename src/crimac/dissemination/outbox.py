"""The outbox: messages for e-mail, SMS and webhook endpoints, written with the event they tell of."""

from __future__ import annotations


def enqueue(event: str, alert_ids: list[int]) -> None:
    """Write one outbox message per active endpoint of each recipient agency of the alerts.
    Precondition: inside the transaction of the change."""
