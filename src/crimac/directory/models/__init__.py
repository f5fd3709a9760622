from crimac.directory.models.agencies import Agency, AgencyQuerySet
from crimac.directory.models.apikeys import ApiKey
from crimac.directory.models.geography import District, ForeignBorder, State, StateBorder
from crimac.directory.models.users import User

__all__ = [
    "Agency",
    "AgencyQuerySet",
    "ApiKey",
    "District",
    "ForeignBorder",
    "State",
    "StateBorder",
    "User",
]
