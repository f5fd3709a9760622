"""Exact look-ups of a vehicle or a phone across the alerts a user may see.

The value is normalised as alerts normalise it when they are posted (`alerts.normalise`), so
'dl 3c ab 1234', 'DL-03-CAB-1234' and 'DL3CAB1234' find the same vehicle, and '098765 43210',
'+91 98765-43210' the same phone. A value too short to normalise, with `PARTIAL_MIN` to
`PARTIAL_MAX` letters and digits, is looked up as a part of the stored numbers (a partial plate
seen at night); PostgreSQL answers that from trigram indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef

from crimac.alerts import normalise
from crimac.alerts.models import Alert, Phone, Vehicle

PARTIAL_MIN = 4
PARTIAL_MAX = 8  # longer is a whole plate written wrong: say what is wrong with it


class BadValue(ValueError):
    """The value cannot be looked up; the message says why."""


@dataclass(frozen=True)
class Sought:
    """What is looked up: the normalised value, and whether it is whole (exact) or a part."""

    kind: str  # registration, e164, imei
    value: str
    exact: bool


def vehicle_sought(raw: str) -> Sought:
    raw = (raw or "").strip()
    if not raw:
        raise BadValue("give a registration number, e.g. DL 3C AB 1234")
    try:
        return Sought("registration", normalise.registration(raw), True)
    except (normalise.Invalid, IndexError) as exc:
        compact = re.sub(r"[^A-Za-z0-9]", "", normalise.ascii_digits(raw)).upper()
        if PARTIAL_MIN <= len(compact) <= PARTIAL_MAX and compact.isascii():
            return Sought("registration", compact, False)
        raise BadValue(str(exc) or "not a registration number") from None


def phone_sought(raw: str, *, imei_only: bool = False) -> Sought:
    raw = (raw or "").strip()
    if not raw:
        raise BadValue("give a phone number or an IMEI")
    digits = re.sub(r"[\s\-/]", "", normalise.ascii_digits(raw))
    if imei_only or (digits.isdecimal() and len(digits) == 15 and not raw.lstrip().startswith("+")):
        try:
            return Sought("imei", normalise.imei(raw), True)
        except normalise.Invalid as exc:
            if imei_only:
                raise BadValue(str(exc)) from None
    try:
        return Sought("e164", normalise.phone(raw), True)
    except normalise.Invalid as exc:
        only_digits = re.sub(r"\D", "", normalise.ascii_digits(raw))
        if len(only_digits) >= PARTIAL_MIN + 2 and len(only_digits) <= 15:
            return Sought("e164", only_digits, False)
        raise BadValue(str(exc)) from None


def _visible(user: Any) -> Exists:
    """The row's alert is one `user` may see, checked by its primary key (`alert__in=visible`
    makes SQLite list every visible alert first: every alert, for a national analyst)."""
    return Exists(Alert.objects.visible_to(user).filter(pk=OuterRef("alert_id")))


def vehicles(user: Any, sought: Sought) -> Any:
    """Vehicles on alerts `user` may see, newest alert first."""
    qs = Vehicle.objects.filter(_visible(user))
    if sought.exact:
        qs = qs.filter(registration_normalised=sought.value)
    else:
        qs = qs.filter(registration_normalised__contains=sought.value)
    return _newest(qs)


def phones(user: Any, sought: Sought) -> Any:
    qs = Phone.objects.filter(_visible(user))
    if sought.kind == "imei":
        qs = qs.filter(imei=sought.value)
    elif sought.exact:
        qs = qs.filter(e164=sought.value)
    else:
        qs = qs.filter(e164__contains=sought.value)
    return _newest(qs)


def _newest(qs: Any) -> Any:
    return qs.select_related("alert", "alert__origin_agency", "alert__state").order_by(
        "-alert__reported_at", "-alert_id", "position", "id"
    )
