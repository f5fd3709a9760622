"""Subscriptions: an agency or one officer asking for more than its audience gives (include) or
for less noise (mute).

Rules, decided here and applied at publish by `resolution.recipients_for`:

- An include rule names any combination of a category, a priority and the incident's State
  (empty meaning any) but at least one of them: "missing persons from Bihar", "every flash
  alert in the country". A matching alert is delivered to the agency with the reason
  "subscription", unless the originator excluded that agency or marked the alert H2.
- A user's include rule delivers to the user's agency ("subscription (user)"): a delivery is
  per agency, so the whole station sees it. It counts only while the user is active and their
  role may receive alerts (acknowledge); only such users may make one.
- An agency's mute rule marks matching deliveries muted (no push, not counted unread). A user's
  mute rule hides matching deliveries from that user only, at read time (`muted_for_user_q`).
  A mute rule must name routine or priority: flash and immediate alerts are never muted.
- Agency rules are made and removed by those who manage the agency: nodal officers and
  administrators (manage agencies) and supervisors over their subtree (revise alerts). A user
  makes and removes their own rules.

Rules are never edited: a change is a removal (deactivation, kept for the audit) and a new rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet

from crimac.alerts.choices import CATEGORY_BY_VALUE, Priority
from crimac.audit.actions import record
from crimac.directory.actions import deny
from crimac.directory.models import Agency, State
from crimac.directory.permissions import Perm, has_perm, may_act_on, scope_filter
from crimac.directory.validation import Errors
from crimac.dissemination.choices import SubscriptionKind
from crimac.dissemination.models import Delivery, Subscription

if TYPE_CHECKING:
    from django.http import HttpRequest

MUTABLE_PRIORITIES = (Priority.ROUTINE, Priority.PRIORITY)
MUTE_PRIORITY_RULE = (
    "a mute rule must name routine or priority: flash and immediate alerts addressed to you are never muted"
)
INCLUDE_NEEDS_A_TERM = "an include rule must name a category, a priority or a State (empty means any)"


def find_agency(ref: str) -> Agency | None:
    """The agency named by id or code; None for anything else (an id too large for the database
    included)."""
    if ref.isascii() and ref.isdigit() and len(ref) > 18:
        return None
    return Agency.objects.by_ref(ref).select_related("state").first()


# --- who may do what --------------------------------------------------------------------------


def may_manage_agency_rules(user: Any, agency: Agency) -> bool:
    """Nodal officers and administrators (who manage agencies), and supervisors over their
    subtree (who revise its alerts), decide what an agency receives."""
    return may_act_on(user, Perm.MANAGE_AGENCIES, agency) or may_act_on(user, Perm.REVISE_ALERT, agency)


def may_have_own_rules(user: Any) -> bool:
    """A user whose role receives alerts (may acknowledge them) may subscribe or mute for themself."""
    return has_perm(user, Perm.ACKNOWLEDGE)


def visible_subscriptions(user: Any) -> QuerySet[Subscription]:
    """The rules `user` may read: their own, their agency's, and those of agencies they manage."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Subscription.objects.none()
    managed = (
        scope_filter(user, Perm.MANAGE_AGENCIES, "agency__")
        | scope_filter(user, Perm.REVISE_ALERT, "agency__")
    ) & Q(agency__isnull=False)
    return Subscription.objects.filter(Q(user=user) | Q(agency_id=user.agency_id) | managed)


def may_remove(user: Any, rule: Subscription) -> bool:
    if rule.user_id is not None:
        return bool(rule.user_id == user.pk)
    return rule.agency is not None and may_manage_agency_rules(user, rule.agency)


# --- writing ----------------------------------------------------------------------------------


def check_subscription(
    *,
    actor: Any,
    kind: str,
    agency: str = "",
    category: str = "",
    priority: str = "",
    state: str = "",
) -> Subscription:
    """Validate a new rule and return it unsaved, or raise ValidationError naming each field.
    `agency`: code (or id) of the agency the rule is for; empty: for `actor` alone."""
    errors = Errors()
    rule = Subscription(kind=kind, category=category, priority=priority, created_by=actor)
    if kind not in SubscriptionKind.values:
        errors.add("kind", f"must be one of: {', '.join(SubscriptionKind.values)}")
    if category and category not in CATEGORY_BY_VALUE:
        errors.add("category", f"unknown category {category!r}; one of: {', '.join(CATEGORY_BY_VALUE)}")
    if priority and priority not in Priority.values:
        errors.add("priority", f"must be one of: {', '.join(Priority.values)}")
    elif kind == SubscriptionKind.MUTE and priority not in MUTABLE_PRIORITIES:
        errors.add("priority", MUTE_PRIORITY_RULE)
    if state:
        found = State.objects.filter(code=state.upper()).first()
        if found is None:
            errors.add("state", f"unknown State/UT code {state!r}")
        rule.state = found
    if kind == SubscriptionKind.INCLUDE and not (category or priority or state):
        errors.add("__all__", INCLUDE_NEEDS_A_TERM)
    if agency:
        target = find_agency(agency)
        if target is None or not target.active:
            errors.add("agency", f"unknown or inactive agency {agency!r}")
        else:
            rule.agency = target
    else:
        rule.user = actor
    errors.raise_if_any()
    same = Subscription.objects.filter(
        active=True,
        kind=rule.kind,
        category=rule.category,
        priority=rule.priority,
        state=rule.state,
        agency=rule.agency,
        user=rule.user,
    )
    if same.exists():
        errors.add("__all__", "this rule exists already")
    errors.raise_if_any()
    return rule


def _authorise(actor: Any, agency: str, request: HttpRequest | None) -> None:
    """Refuse (audited) before validating the rest, once the target agency is known."""
    if not agency:
        if not may_have_own_rules(actor):
            raise deny("subscription.create", actor=actor, request=request, reason="role receives no alerts")
        return
    target = find_agency(agency)
    if target is not None and not may_manage_agency_rules(actor, target):
        raise deny("subscription.create", actor=actor, request=request, obj=target)


def create_subscription(
    *,
    actor: Any,
    kind: str,
    agency: str = "",
    category: str = "",
    priority: str = "",
    state: str = "",
    request: HttpRequest | None = None,
    via: str = "",
) -> Subscription:
    """Add an include or mute rule for an agency (`agency` code) or for the actor alone."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("sign in")
    _authorise(actor, agency, request)
    rule = check_subscription(
        actor=actor, kind=kind, agency=agency, category=category, priority=priority, state=state
    )
    with transaction.atomic():
        rule.save()
        record(
            "subscription.create",
            actor=actor,
            obj=rule,
            request=request,
            via=via,
            detail=describe(rule),
        )
    return rule


def remove_subscription(
    rule: Subscription, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> Subscription:
    """Deactivate a rule (kept for the audit). Removing a removed rule changes nothing."""
    if not may_remove(actor, rule):
        raise deny("subscription.remove", actor=actor, request=request, obj=rule)
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=rule.pk)
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            record(
                "subscription.remove",
                actor=actor,
                obj=locked,
                request=request,
                via=via,
                detail=describe(locked),
            )
    rule.active = False
    return rule


def describe(rule: Subscription) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "for": rule.agency.code if rule.agency is not None else f"user {rule.user_id}",
        "category": rule.category,
        "priority": rule.priority,
        "state": rule.state.code if rule.state is not None else "",
    }


# --- reading ----------------------------------------------------------------------------------


def active_rules() -> list[Subscription]:
    """Every active rule, read once for a whole publishing event (a bulk of 500 alerts)."""
    return list(Subscription.objects.filter(active=True).select_related("user__agency").order_by("id"))


def rule_matches(rule: Subscription, alert: Any) -> bool:
    return (
        (not rule.category or rule.category == alert.category)
        and (not rule.priority or rule.priority == alert.priority)
        and (rule.state_id is None or rule.state_id == alert.state_id)
    )


def rules_for_alert(alert: Any) -> list[Subscription]:
    """The active rules an alert matches (by category, priority and incident State)."""
    return list(
        Subscription.objects.filter(active=True)
        .filter(Q(category="") | Q(category=alert.category))
        .filter(Q(priority="") | Q(priority=alert.priority))
        .filter(Q(state__isnull=True) | Q(state_id=alert.state_id))
        .select_related("user__agency")
        .order_by("id")
    )


def muted_for_user_q(user: Any) -> Q:
    """A Q over `Delivery` matching what `user` has muted for themself (one query to read the
    rules). The inbox hides these from the user: `deliveries.exclude(muted_for_user_q(user))`,
    or counts unread with it excluded. Flash and immediate deliveries never match."""
    rules = Subscription.objects.filter(user_id=user.pk, kind=SubscriptionKind.MUTE, active=True)
    q = Q(pk__in=[])
    for category, priority, state_id in rules.values_list("category", "priority", "state_id"):
        term = Q(alert__priority=priority) if priority else Q(pk__isnull=False)
        if category:
            term &= Q(alert__category=category)
        if state_id is not None:
            term &= Q(alert__state_id=state_id)
        q |= term
    return q & ~Q(alert__priority__in=[Priority.FLASH, Priority.IMMEDIATE])


def delivery_muted_for_user(delivery: Delivery, rules: list[Subscription]) -> bool:
    """The same test in Python, for one delivery already loaded with its alert."""
    alert = delivery.alert
    if alert.priority in (Priority.FLASH, Priority.IMMEDIATE):
        return False
    return any(
        (not r.category or r.category == alert.category)
        and (not r.priority or r.priority == alert.priority)
        and (r.state_id is None or r.state_id == alert.state_id)
        for r in rules
    )
