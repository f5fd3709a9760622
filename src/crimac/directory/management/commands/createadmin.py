from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crimac.directory import actions
from crimac.directory.choices import Role
from crimac.directory.models import Agency, User


class Command(BaseCommand):
    help = "Create an administrator (the operator's account)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--agency", default="NCRB", help="agency id or code (default NCRB)")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="omit to be asked; or set CRIMAC_ADMIN_PASSWORD")

    def handle(self, *args: Any, **opts: Any) -> None:
        import os

        ref = opts["agency"]
        agency = Agency.objects.by_ref(ref).first()
        if agency is None:
            raise CommandError(f"--agency: unknown agency {ref!r}")
        password = opts["password"] or os.environ.get("CRIMAC_ADMIN_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        user = User(
            username=opts["username"],
            agency=agency,
            role=Role.ADMIN,
            full_name=opts["full_name"],
            email=opts["email"],
            is_superuser=True,
        )
        try:
            actions.save_user(user, actor=None, password=password, via="cli")
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{k.replace('_', '-')}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(self.style.SUCCESS(f"administrator {user.username} created in {agency.code}"))
