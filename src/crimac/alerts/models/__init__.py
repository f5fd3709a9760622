from crimac.alerts.models.alerts import Alert, AlertQuerySet, AlertRevision, AlertSequence, AudienceEntry
from crimac.alerts.models.attachments import Attachment
from crimac.alerts.models.idempotency import IdempotencyRecord
from crimac.alerts.models.sections import Citation, LegalSection
from crimac.alerts.models.subjects import Identifier, Person, Phone, Vehicle

__all__ = [
    "Alert",
    "AlertQuerySet",
    "AlertRevision",
    "AlertSequence",
    "Attachment",
    "AudienceEntry",
    "Citation",
    "IdempotencyRecord",
    "Identifier",
    "LegalSection",
    "Person",
    "Phone",
    "Vehicle",
]
