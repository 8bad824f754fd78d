"""Alert delivery: the alert message, its channels (email, signed webhooks) and retry policy.

A leaf: the hub's outbox decides what to send and when; this package only delivers.
"""

from selfref.alerts.channels import Channel, DeliveryResult, Options
from selfref.alerts.email import EmailChannel
from selfref.alerts.model import Alert, AlertDocument, make_test_alert, new_message_id
from selfref.alerts.retry import RetryPolicy
from selfref.alerts.schema import PAYLOAD_SCHEMA
from selfref.alerts.webhook import WebhookChannel, parse_retry_after

__all__ = [
    "PAYLOAD_SCHEMA",
    "Alert",
    "AlertDocument",
    "Channel",
    "DeliveryResult",
    "EmailChannel",
    "Options",
    "RetryPolicy",
    "WebhookChannel",
    "make_test_alert",
    "new_message_id",
    "parse_retry_after",
]
