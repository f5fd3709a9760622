"""Who may see which oversight figures. The one place in the app that decides.

Everything comes from `Perm.VIEW_OVERSIGHT` and its scope:

- national (national analysts, administrators): every figure, every level;
- State (State nodal officers, State analysts): their own State in full, and the national figures
  by State only (one row per State/UT, no district or station detail of another State);
- subtree (supervisors): their own district in full, the national figures by State only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from crimac.directory.models import District, State
from crimac.directory.permissions import Perm, Scope, scope_of

OUTSIDE_DETAIL = "you may see another State's figures by State only, not its districts or stations"


@dataclass(frozen=True)
class Viewer:
    user: Any
    scope: Scope
    state_id: int | None
    district_id: int | None

    @property
    def national(self) -> bool:
        return self.scope == Scope.NATIONAL

    def may_see_state(self, state: State | int) -> bool:
        """May the viewer see this State's districts and stations?"""
        state_id = state if isinstance(state, int) else state.pk
        if self.national:
            return True
        return self.state_id is not None and self.state_id == state_id

    def may_see_district(self, district: District) -> bool:
        if not self.may_see_state(district.state_id):
            return False
        if self.scope == Scope.SUBTREE and self.district_id is not None:
            return district.pk == self.district_id
        return True

    def detail_state_ids(self) -> set[int] | None:
        """States whose district rows the viewer gets; None means all."""
        if self.national:
            return None
        return {self.state_id} if self.state_id is not None else set()

    def detail_district_id(self) -> int | None:
        """A supervisor sees one district only."""
        return self.district_id if self.scope == Scope.SUBTREE else None

    def check_state(self, state: State) -> None:
        if not self.may_see_state(state):
            raise PermissionDenied(OUTSIDE_DETAIL)

    def check_district(self, district: District) -> None:
        if not self.may_see_district(district):
            raise PermissionDenied(OUTSIDE_DETAIL)


def viewer_of(user: Any) -> Viewer:
    """The viewer, or PermissionDenied when the user may see no oversight figure at all."""
    scope = scope_of(user, Perm.VIEW_OVERSIGHT)
    if scope in (Scope.NONE, Scope.AGENCY):
        raise PermissionDenied("you may not see oversight figures")
    agency = user.agency
    return Viewer(user=user, scope=scope, state_id=agency.state_id, district_id=agency.district_id)


def may_view(user: Any) -> bool:
    return scope_of(user, Perm.VIEW_OVERSIGHT) not in (Scope.NONE, Scope.AGENCY)
