import base64
import os
import sys
import uuid

import pytest
from pydantic import ValidationError

from shared.ids import derived_uuid7, uuid7
from shared.settings import MailboxSettings


def test_uuid7_is_version_7_and_time_ordered():
    ids = [uuid7() for _ in range(50)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert [i.int >> 80 for i in ids] == sorted(i.int >> 80 for i in ids)


def test_derived_ids_are_stable_per_cause_and_purpose():
    cause = uuid7()
    assert derived_uuid7(cause, "routed") == derived_uuid7(cause, "routed")
    assert derived_uuid7(cause, "routed") != derived_uuid7(cause, "received")
    assert derived_uuid7(cause, "routed").version == 7


def test_settings_fail_closed_on_placeholder_secrets_in_production():
    with pytest.raises(ValidationError, match="placeholder"):
        MailboxSettings(environment="production")
    MailboxSettings(environment="development")  # placeholders are fine locally
    pinned = {"announcement_signing_key": "s" * 43, "peer_announcement_public_key": "A" * 43 + "=",
              "internal_credential": "c" * 32, "kafka_password": "a-real-kafka-password"}
    MailboxSettings(environment="production",
                    key_encryption_key=base64.urlsafe_b64encode(os.urandom(32)).decode(), **pinned)
    with pytest.raises(ValidationError, match="peer_announcement_public_key is not set"):
        MailboxSettings(environment="production",
                        key_encryption_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
                        announcement_signing_key="s" * 43, internal_credential="c" * 32,
                        kafka_password="a-real-kafka-password")
    with pytest.raises(ValidationError, match="not base64url of 32 bytes"):
        MailboxSettings(environment="development", peer_announcement_public_key="short")


def test_logged_exceptions_keep_the_traceback_but_not_the_message():
    import json
    import logging

    from shared.logs import JsonFormatter

    number = "19121212" + "1212"  # a value, as at run time (not in the source line)
    try:
        raise ValueError(f"personnummer {number} not found")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "lookup failed", (), sys.exc_info())
    line = JsonFormatter("test").format(record)
    assert "191212121212" not in line
    entry = json.loads(line)
    assert "builtins.ValueError" in entry["exc"] and "test_logged_exceptions" in entry["exc"]
