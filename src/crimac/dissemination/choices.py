from django.db import models


class ResponseOutcome(models.TextChoices):
    SIGHTED = "sighted", "Sighted"
    DETAINED = "detained", "Detained"
    TRACED = "traced", "Traced"
    RECOVERED = "recovered", "Recovered"
    NO_TRACE = "no_trace", "No trace"
    NOT_RELEVANT = "not_relevant", "Not relevant"


# A response with one of these claims a hit: the originator is asked to confirm it.
HIT_OUTCOMES = frozenset(
    {ResponseOutcome.SIGHTED, ResponseOutcome.DETAINED, ResponseOutcome.TRACED, ResponseOutcome.RECOVERED}
)


class Confirmation(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    NOT_CONFIRMED = "not_confirmed", "Not confirmed"


class SubscriptionKind(models.TextChoices):
    INCLUDE = "include", "Also send me"
    MUTE = "mute", "Mute"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"
    SMS = "sms", "SMS"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead-lettered"
