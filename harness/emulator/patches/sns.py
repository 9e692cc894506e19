"""SNS: bounded published-message history, one signing certificate per region, and the 256 KiB
message limit measured as AWS measures it."""

from __future__ import annotations

import base64
import threading
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.sns.exceptions import InvalidParameterValue, SNSException
from moto.sns.models import DEFAULT_ACCOUNT_ID, SNSBackend, Subscription, Topic, sns_backends

from harness.emulator.patches.payload_size import message_size
from harness.emulator.patches.registry import patch

SNS_MAX_MESSAGE_BYTES = 262_144  # 256 KiB: one message, and all messages of one PublishBatch together


class BatchRequestTooLong(SNSException):
    code = "BatchRequestTooLong"


SNS_HISTORY_PER_TOPIC = 1000


@patch(target=Topic.publish)
def bounded_topic_history(fn: Any, self: Topic, *args: Any, **kwargs: Any) -> str:
    """SNS Publish: a topic remembers its last SNS_HISTORY_PER_TOPIC messages only.

    Gap: moto appends every published message to the topic's `sent_notifications` (an introspection
    list, not SNS state) forever, so the emulator grows per message.
    Fix: trim the list to the last SNS_HISTORY_PER_TOPIC messages after each publish.
    """
    message_id = fn(self, *args, **kwargs)
    excess = len(self.sent_notifications) - SNS_HISTORY_PER_TOPIC
    if excess > 0:
        del self.sent_notifications[:excess]
    return message_id


# One signing key per region, the name of its one certificate per region, and per subscription the
# envelope fields that do not change between messages (see `signed_envelope_from_template`).
_keys: dict[str, Any] = {}
_certificate_names: dict[str, str] = {}
_templates: dict[str, dict[str, Any]] = {}
_signing_lock = threading.Lock()


@patch(target=Subscription.private_key)
def one_signing_key_per_region(fn: Any, self: Subscription) -> Any:
    """SNS message signing: one key per region, made once.

    Gap: moto signs every message delivered to SQS/HTTP with a freshly generated 2048-bit RSA key and
    a new certificate, which it keeps forever: key generation dominates the cost of every delivery
    (the alert fan-out delivers each alert to three queues) and the keys leak memory.
    Fix: SNS uses one signing certificate for a long time, so one key per region is made once and
    reused (messages are still signed and verifiable with the SigningCertURL's certificate).
    """
    region = self.topic.sns_backend.region_name
    with _signing_lock:
        if region not in _keys:
            _keys[region] = fn(self)
        return _keys[region]


def _first_envelope(
    original: Any,
    subscription: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """moto's own envelope, pointing at the region's one certificate; remembered as the template."""
    post_data = original(subscription, message, message_id, subject, message_attributes)
    region = subscription.topic.sns_backend.region_name
    url_base, _, name = post_data["SigningCertURL"].rpartition("/")
    stored = sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys
    with _signing_lock:
        canonical = _certificate_names.get(region)
        if canonical is None or canonical not in stored:  # first, or moto's backends were reset since
            canonical = _certificate_names[region] = name
    if name != canonical:  # a certificate for the same key: keep only the first one
        sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys.pop(name, None)
        post_data["SigningCertURL"] = f"{url_base}/{canonical}"
    with _signing_lock:
        _templates[subscription.arn] = {k: v for k, v in post_data.items() if k not in ("Subject", "MessageAttributes")}
    return post_data


@patch(target=Subscription.get_post_data)
def signed_envelope_from_template(
    fn: Any,
    self: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """SNS delivery envelope: built from the subscription's first one instead of a new certificate.

    Gap: moto builds and signs a new X.509 certificate for every delivery, which was most of the
    cost of a Publish. Fix: after a subscription's first envelope (moto's own), the next ones are that
    template plus the message, its id, timestamp and signature, signed exactly as moto signs them
    (SignatureVersion 2: SHA256withRSA over the canonical string) with the region's one key.
    """
    template = _templates.get(self.arn)
    if template is None or template.get("SignatureVersion") != "2" or template.get("TopicArn") != self.topic.arn:
        return _first_envelope(fn, self, message, message_id, subject, message_attributes)
    timestamp = iso_8601_datetime_with_milliseconds()
    string_to_sign = (
        f"Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\n"
        f"TopicArn\n{self.topic.arn}\nType\nNotification\n"
    )
    signature = self.private_key().sign(string_to_sign.encode("UTF-8"), padding.PKCS1v15(), hashes.SHA256())
    post_data = dict(
        template,
        MessageId=message_id,
        Message=message,
        Timestamp=timestamp,
        Signature=base64.b64encode(signature).decode("utf-8"),
    )
    if subject:
        post_data["Subject"] = subject
    if message_attributes:
        post_data["MessageAttributes"] = message_attributes
    return post_data


@patch(target=SNSBackend.publish)
def publish_size_in_bytes_with_attributes(
    fn: Any, self: SNSBackend, message: str, arn: Any, *args: Any, **kwargs: Any
) -> str:
    """SNS Publish: the 256 KiB limit is held against the message's UTF-8 bytes plus its attributes.

    Gap: moto compares the message's length in characters, without its attributes, so a message AWS
    refuses ("Invalid parameter: Message too long") is published. Fix: measure as AWS does
    (`payload_size.message_size`) for topic publishes (SMS keeps moto's own limit).
    """
    if arn and not kwargs.get("phone_number"):
        attributes = kwargs.get("message_attributes")
        if message_size(message, attributes) > SNS_MAX_MESSAGE_BYTES:
            raise InvalidParameterValue("Invalid parameter: Message too long")
    return fn(self, message, arn, *args, **kwargs)


@patch(target=SNSBackend.publish_batch)
def publish_batch_total_size(fn: Any, self: SNSBackend, topic_arn: str, publish_batch_request_entries: list) -> Any:
    """SNS PublishBatch: all messages of one request together are at most 256 KiB.

    Gap: moto checks each entry on its own, so a batch of ten 200 KiB messages is published where AWS
    refuses the whole request with BatchRequestTooLong. Fix: sum the entries' sizes first.
    """
    total = sum(
        message_size(entry.get("Message"), entry.get("MessageAttributes")) for entry in publish_batch_request_entries
    )
    if total > SNS_MAX_MESSAGE_BYTES:
        raise BatchRequestTooLong(
            f"The length of all the messages put together is more than the limit ({SNS_MAX_MESSAGE_BYTES} bytes)."
        )
    return fn(self, topic_arn, publish_batch_request_entries)
