"""Users: each belongs to one agency with one role."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from crimac.directory.choices import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: object) -> User:
        user = self.model(username=self.model.normalize_username(username), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields["is_superuser"] = True
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or, with `is_system`, an agency's machine account used by its API keys).

    What a role may do lives in `crimac.directory.permissions`, not here and not in Django's
    per-model permission tables; `is_superuser` stays False for everyone but the operator.
    """

    username = models.CharField(max_length=150, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    rank = models.CharField(max_length=60, blank=True, help_text="e.g. SHO, Inspector, DySP")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OFFICER)
    is_system = models.BooleanField(default=False, help_text="the agency's API account")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        from crimac.directory.validation import check_user

        super().clean()
        check_user(self)

    @property
    def is_staff(self) -> bool:
        """Who may open the Django admin: the roles that manage the directory."""
        from crimac.directory.permissions import Perm, has_perm

        return has_perm(self, Perm.OPEN_ADMIN)
