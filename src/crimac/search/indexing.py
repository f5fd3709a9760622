"""Keeping the search index current: one `AlertDocument` per alert, written in the alert's own
transaction by the alert hooks (published, revised, cancelled, resolved).

Drafts emit no hook, yet their agency sees them: they are indexed when that agency searches
(`refresh_drafts`), so the search of an author finds the draft it just saved.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from crimac.alerts.hooks import AlertEvent
from crimac.search.text import clean_text, phone_tokens

log = logging.getLogger("crimac.search")

BATCH = 500
_DIACRITIC_FOLD = str.maketrans({"ś": "sh", "ṣ": "sh", "Ś": "Sh", "Ṣ": "Sh", "ṃ": "n", "ṅ": "n", "ñ": "n"})


def latin_forms(name: str) -> list[str]:
    """A name written in an Indian script, also in Latin letters ('राजेश' -> 'rajesh'), so that a
    search in either script finds it. Matching does this thoroughly; this is the index's share."""
    if not name or name.isascii():
        return []
    try:
        from crimac.matching import names as matching_names  # written by the matching app

        to_latin = getattr(matching_names, "to_latin", None) or getattr(matching_names, "transliterate", None)
        if to_latin is not None:
            latin = to_latin(name)
            if isinstance(latin, str) and latin.strip():
                return [latin]
    except Exception:  # matching may not be there yet, or may refuse this name: fall back
        log.debug("search: matching's to_latin failed for a name", exc_info=True)
    from indic_transliteration import detect, sanscript

    try:
        script = detect.detect(name)
        if not script or script in {sanscript.ITRANS, sanscript.IAST, sanscript.HK}:
            return []
        iast = sanscript.transliterate(name, script, sanscript.IAST)
    except Exception:  # an odd mix of scripts: index it as written only
        return []
    folded = unicodedata.normalize("NFKD", iast.translate(_DIACRITIC_FOLD))
    ascii_only = "".join(ch for ch in folded if ch.isascii())
    # Schwa deletion, roughly: 'rajesha' -> 'rajesh', 'kumara' -> 'kumar' (not short words).
    words = [re.sub(r"(?<=[^aeiou])a$", "", w) if len(w) > 3 else w for w in ascii_only.split()]
    latin = " ".join(words).strip()
    return [latin] if latin else []


def _join(parts: Iterable[Any]) -> str:
    return clean_text("\n".join(str(p) for p in parts if p))


def _name(obj: Any) -> str:
    return str(getattr(obj, "name", "") or "") if obj is not None else ""


def document_fields(alert: Any) -> dict[str, str]:
    """The searchable text of an alert (with its subjects, place and agency prefetched)."""
    names: list[str] = []
    marks: list[str] = []
    places = [alert.address, _name(alert.state), _name(alert.district), _name(alert.station)]
    for person in alert.persons.all():
        for written in [person.name, *(a for a in (person.aliases or []) if isinstance(a, str))]:
            names.append(written)
            names += latin_forms(written)
        marks.append(person.marks)
        places.append(person.last_seen_place)
    identifiers = [alert.reference, alert.fir_number]
    vehicles = []
    for vehicle in alert.vehicles.all():
        identifiers += [vehicle.registration, vehicle.registration_normalised]
        identifiers += [vehicle.chassis_number, vehicle.engine_number]
        vehicles.append(" ".join(filter(None, [vehicle.colour, vehicle.make, vehicle.model])))
    for phone in alert.phones.all():
        identifiers += [phone.number, phone.imei]
        if phone.e164:
            identifiers += phone_tokens(phone.e164)
    for ident in alert.identifiers.all():
        identifiers += [ident.value, ident.normalised]
    return {
        "title": clean_text(alert.title),
        "names": _join(names),
        "identifiers": _join(dict.fromkeys(i for i in identifiers if i)),
        "places": _join(places),
        "body": _join([alert.narrative, *marks, *vehicles, alert.outcome_note]),
    }


def filter_columns(alert: Any) -> dict[str, Any]:
    """The alert's columns a document copies for the list filters (see `AlertDocument`)."""
    return {
        "category": alert.category,
        "state_id": alert.state_id,
        "district_id": alert.district_id,
        "reported_at": alert.reported_at,
    }


# A document's reach as words (`AlertDocument.reach`): "zzr" and a State's id (0: no State).
REACH_PREFIX = "zzr"


def reach_words(states: Iterable[int]) -> str:
    return " ".join(f"{REACH_PREFIX}{int(state)}" for state in sorted(states))


def _alerts(apps: Any = None) -> Any:
    alert_model = apps.get_model("alerts", "Alert") if apps else _alert_model()
    return alert_model.objects.select_related("state", "district", "station").prefetch_related(
        "persons", "vehicles", "phones", "identifiers"
    )


def _alert_model() -> Any:
    from crimac.alerts.models import Alert

    return Alert


def _document_model(apps: Any = None) -> Any:
    if apps:
        return apps.get_model("search", "AlertDocument")
    from crimac.search.models import AlertDocument

    return AlertDocument


def index_alerts(
    alert_ids: Iterable[int], *, apps: Any = None, loaded: Mapping[int, Any] | None = None
) -> int:
    """Write (or rewrite) the documents of these alerts. Returns how many were written.
    `loaded`: alerts as their transaction just wrote them, children prefetched (`AlertEvent.loaded`),
    used instead of reading them back."""
    from crimac.search.backends import backend

    ids = sorted(set(alert_ids))
    held = loaded or {}
    document = _document_model(apps)
    search_backend = backend()
    now = timezone.now()
    written = 0
    # A migration before the filter columns (0003) runs this with the model of its time.
    copies = any(f.name == "reported_at" for f in document._meta.concrete_fields)
    for start in range(0, len(ids), BATCH):
        docs = []
        chunk = ids[start : start + BATCH]
        unread = [pk for pk in chunk if pk not in held]
        read = list(_alerts(apps).filter(pk__in=unread)) if unread else []
        # A migration's model of an earlier time keeps no reach; nor does a document whose reach
        # the audience rule cannot say (None): those documents are matches for every search.
        reaches = None if apps is not None else _alert_model().objects.reach(chunk)
        for alert in [held[pk] for pk in chunk if pk in held] + read:
            doc = document(
                alert_id=alert.pk,
                revision=alert.revision,
                indexed_at=now,
                **document_fields(alert),
                **(filter_columns(alert) if copies else {}),
            )
            if reaches is not None and alert.pk in reaches:
                doc.reach = reach_words(reaches[alert.pk])
            search_backend.prepare(doc)
            docs.append(doc)
        fields = [f.name for f in document._meta.concrete_fields if not f.primary_key]
        document.objects.bulk_create(
            docs, update_conflicts=True, unique_fields=["alert"], update_fields=fields
        )
        written += len(docs)
    return written


def refresh_reach(alert_ids: Iterable[int]) -> int:
    """Bring the reach of these alerts' documents up to date (agencies were added to their readers,
    or one that sent or received them moved to another State). Returns how many were rewritten."""
    ids = sorted(set(alert_ids))
    document = _document_model()
    written = 0
    for start in range(0, len(ids), BATCH):
        reaches = _alert_model().objects.reach(ids[start : start + BATCH])
        if not reaches:
            continue
        written += document.objects.bulk_update(
            [document(alert_id=pk, reach=reach_words(states)) for pk, states in reaches.items()], ["reach"]
        )
    return written


def on_agency_state_changed(agency: Any) -> None:
    """Directory hook: the agency is now in another State (see `refresh_reach`)."""
    refresh_reach(_alert_model().objects.reaching(agency).order_by().values_list("pk", flat=True))


def index_all(*, apps: Any = None) -> int:
    """Index every alert (the migration and `search_reindex`)."""
    ids = list(_alerts(apps).order_by().values_list("pk", flat=True))
    return index_alerts(ids, apps=apps)


def on_alert_event(event: AlertEvent) -> None:
    """Alert hook, run inside the alert's transaction. A failure here must not refuse the alert:
    it is logged and the document is left for `search_reindex` (in a savepoint, so the alert's
    transaction stays usable on PostgreSQL)."""
    try:
        with transaction.atomic():
            index_alerts(event.alert_ids, loaded=event.loaded)
    except DatabaseError:
        log.exception("search: could not index alerts %s after %s", event.alert_ids, event.event)


def stale_drafts(agency_id: int) -> Any:
    """Drafts of this agency whose document is missing or older than the draft (and drafts
    cancelled before anyone searched: no hook told us about them either)."""
    from crimac.alerts.choices import Status

    stale = Q(status=Status.DRAFT) & (
        Q(search_document__isnull=True) | Q(updated_at__gt=F("search_document__indexed_at"))
    )
    return (
        _alert_model()
        .objects.filter(origin_agency_id=agency_id, status__in=[Status.DRAFT, Status.CANCELLED])
        .filter(stale | Q(status=Status.CANCELLED, search_document__isnull=True))
        .order_by()
        .values_list("pk", flat=True)
    )


def refresh_drafts(user: Any) -> int:
    """Index the caller's agency's new or changed drafts (one query when there are none)."""
    agency_id = getattr(user, "agency_id", None)
    if agency_id is None:
        return 0
    ids = list(stale_drafts(agency_id)[:BATCH])
    if not ids:
        return 0
    with transaction.atomic():
        return index_alerts(ids)


def connect() -> None:
    from crimac.alerts import hooks
    from crimac.directory import hooks as directory_hooks

    for event in hooks.EVENTS:
        hooks.subscribe(event, on_alert_event, in_transaction=True)
    hooks.on_readers_added(refresh_reach)
    directory_hooks.on_state_changed(on_agency_state_changed)
