from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.directory import actions
from crimac.directory.models import Agency, ApiKey


def find_agency(ref: str) -> Agency:
    agency = Agency.objects.by_ref(ref).first()
    if agency is None:
        raise CommandError(f"--agency: unknown agency {ref!r} (give its id or code)")
    return agency


class Command(BaseCommand):
    help = "Manage API keys: create (prints the key once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key; the key is printed once")
        create.add_argument("--agency", required=True, help="agency id or code")
        create.add_argument("--name", required=True, help="label: the system that will use it")
        lst = sub.add_parser("list", help="list keys")
        lst.add_argument("--agency", help="only this agency's keys")
        lst.add_argument("--all", action="store_true", help="include revoked keys")
        revoke = sub.add_parser("revoke", help="revoke a key")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "create":
            agency = find_agency(opts["agency"])
            try:
                new = actions.create_api_key(agency, opts["name"], actor=None, via="cli")
            except ValidationError as exc:
                raise CommandError(
                    "; ".join(f"--{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                ) from None
            self.stderr.write(
                f"key {new.key.pk} for {agency.code} ({new.key.name}); shown once, store it now:"
            )
            self.stdout.write(new.raw)
        elif action == "list":
            qs = ApiKey.objects.select_related("agency").order_by("agency__code", "-created_at")
            if opts.get("agency"):
                qs = qs.filter(agency=find_agency(opts["agency"]))
            if not opts.get("all"):
                qs = qs.filter(revoked_at__isnull=True)
            self.stdout.write(f"{'id':>6}  {'agency':<28} {'prefix':<9} {'last used':<17} {'status':<8} name")
            for k in qs:
                last = k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "never"
                status = "revoked" if k.revoked_at else "active"
                self.stdout.write(
                    f"{k.pk:>6}  {k.agency.code:<28} {k.prefix:<9} {last:<17} {status:<8} {k.name}"
                )
        else:
            key = ApiKey.objects.select_related("agency").filter(pk=opts["id"]).first()
            if key is None:
                raise CommandError(f"no API key with id {opts['id']}")
            actions.revoke_api_key(key, actor=None, via="cli")
            self.stdout.write(f"revoked key {key.pk} ({key.agency.code}: {key.name})")
