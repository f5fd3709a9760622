"""Adding and deactivating an agency's e-mail, webhook and SMS endpoints (actions, audited).

Who may: whoever manages the agency's API keys (an endpoint, like a key, connects an outside
system to the agency); `Perm.MANAGE_CHANNELS` takes over when the directory defines it.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from crimac.audit.actions import record
from crimac.directory.actions import deny
from crimac.directory.permissions import Perm, may_act_on, scope_filter
from crimac.dissemination.channels.conf import allow_loopback
from crimac.dissemination.choices import ChannelKind
from crimac.dissemination.models import Endpoint

if TYPE_CHECKING:
    from django.http import HttpRequest

    from crimac.directory.models import Agency

PERM: Perm = Perm.MANAGE_CHANNELS
SMS_REGION = "IN"
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}


def manageable(user: Any, prefix: str = "agency__") -> Q:
    """A Q keeping what belongs to agencies whose channels `user` manages."""
    return scope_filter(user, PERM, prefix)


def _own_host(request: HttpRequest | None) -> tuple[str, int] | None:
    """This server's host and port as the request reached it."""
    if request is None:
        return None
    try:
        parts = urlsplit("//" + request.get_host())
        port = parts.port or (443 if request.is_secure() else 80)
    except Exception:
        return None
    return (parts.hostname or "").lower(), port


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as a number stands for, in every form the resolver accepts
    (`127.1`, `2130706433`, `0x7f000001`, `::ffff:127.0.0.1`); None for a name."""
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why a webhook may not be sent to `address` ("" when it may). Private (intranet) ranges are
    allowed: agencies' receivers live there. Loopback only with WEBHOOK_ALLOW_LOOPBACK (tests)."""
    if address.is_loopback and not allow_loopback():
        return "this server (a loopback address)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if address.is_multicast or (address.is_reserved and not address.is_loopback):
        return "a multicast or reserved address"
    return ""


def check_webhook_url(url: str, *, request: HttpRequest | None = None) -> str:
    """An http(s) URL that does not point back at this server."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError({"target": ["not a valid URL"]}) from None
    if parts.scheme not in {"http", "https"}:
        raise ValidationError({"target": ["a webhook must be an http:// or https:// URL"]})
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError({"target": ["the URL has no host"]})
    if _own_host(request) == (host, port or (443 if parts.scheme == "https" else 80)):
        raise ValidationError({"target": ["a webhook may not point to this server itself"]})
    if (host in LOOPBACK_NAMES or host.endswith(".localhost")) and not allow_loopback():
        raise ValidationError({"target": ["a webhook may not point to this server (localhost)"]})
    address = literal_address(host)
    if address is not None and (why := forbidden_address(address)):
        raise ValidationError({"target": [f"a webhook may not point to {why}"]})
    loopback = host in LOOPBACK_NAMES or (address is not None and address.is_loopback)
    own_names = {h.lower().lstrip(".") for h in settings.ALLOWED_HOSTS if h not in {"*", "testserver"}}
    if host in own_names and not (loopback and allow_loopback()):
        raise ValidationError({"target": [f"a webhook may not point to this server ({host})"]})
    return url


def check_target(kind: str, target: str, *, request: HttpRequest | None = None) -> str:
    """The target in its stored form, or a ValidationError naming the field."""
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": [f"must be one of: {', '.join(ChannelKind.values)}"]})
    target = (target or "").strip()
    if not target:
        raise ValidationError({"target": ["give an address, URL or phone number"]})
    if len(target) > 500:
        raise ValidationError({"target": ["at most 500 characters"]})
    if kind == ChannelKind.EMAIL:
        try:
            validate_email(target)
        except ValidationError:
            raise ValidationError({"target": ["not a valid e-mail address"]}) from None
        local, _, domain = target.rpartition("@")
        return f"{local}@{domain.lower()}"
    if kind == ChannelKind.SMS:
        try:
            number = phonenumbers.parse(target, SMS_REGION)
        except phonenumbers.NumberParseException:
            raise ValidationError({"target": ["not a phone number"]}) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError({"target": ["not a valid phone number (give +<country><number>)"]})
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return check_webhook_url(target, request=request)


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str


def create_endpoint(
    agency: Agency,
    kind: str,
    target: str,
    *,
    actor: Any,
    request: HttpRequest | None = None,
    via: str = "",
) -> NewEndpoint:
    """Add an endpoint. A webhook gets a signing secret, generated here and returned this once."""
    if actor is not None and not may_act_on(actor, PERM, agency):
        raise deny("endpoint.create", actor=actor, request=request, obj=agency)
    target = check_target(kind, target, request=request)
    if not agency.active:
        raise ValidationError({"agency": [f"{agency.code} is not active"]})
    secret = secrets.token_urlsafe(32) if kind == ChannelKind.WEBHOOK else ""
    with transaction.atomic():
        if Endpoint.objects.filter(agency=agency, kind=kind, target=target, active=True).exists():
            raise ValidationError({"target": [f"{agency.code} already has this {kind} endpoint"]})
        endpoint = Endpoint.objects.create(
            agency=agency,
            kind=kind,
            target=target,
            secret=secret,
            created_by=actor if getattr(actor, "is_authenticated", False) else _trusted_creator(agency),
        )
        record(
            "endpoint.create",
            actor=actor,
            obj=endpoint,
            agency=agency,
            request=request,
            via=via,
            detail={"kind": kind, "target": target},
        )
    return NewEndpoint(endpoint, secret)


def _trusted_creator(agency: Agency) -> Any:
    """For the CLI and tests (actor=None): the agency's system account stands as creator."""
    from crimac.directory.actions import system_account

    return system_account(agency)


def deactivate_endpoint(
    endpoint: Endpoint, *, actor: Any, request: HttpRequest | None = None, via: str = ""
) -> Endpoint:
    """Stop using an endpoint. Its pending messages are dead-lettered by the worker, not lost."""
    if actor is not None and not may_act_on(actor, PERM, endpoint.agency):
        raise deny("endpoint.deactivate", actor=actor, request=request, obj=endpoint)
    with transaction.atomic():
        if endpoint.active:
            endpoint.active = False
            endpoint.save(update_fields=["active"])
        record(
            "endpoint.deactivate",
            actor=actor,
            obj=endpoint,
            agency=endpoint.agency,
            request=request,
            via=via,
            detail={"kind": endpoint.kind, "target": endpoint.target},
        )
    return endpoint
