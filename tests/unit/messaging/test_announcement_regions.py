"""Key announcements of another region are checked against the key pinned for that region:
a region that signs with its own key verifies only with its pin, and an announcement of that
region signed with the own region's key is refused."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from services.messaging.keys import AnnouncementSigner, AnnouncementVerifier, public_signing_key
from shared.events.contracts import MailboxKeyPublished
from shared.inbox import RejectEvent
from shared.settings import MailboxSettings


def _secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _announcement(signer: AnnouncementSigner) -> MailboxKeyPublished:
    return signer.sign(MailboxKeyPublished(
        mailbox="careunit", key_id="k1", suite="hpke", public_key=base64.urlsafe_b64encode(
            b"p" * 32).decode(), key_version=1))


def test_each_region_is_checked_against_its_own_pinned_key() -> None:
    own, other = _secret(), _secret()
    verifier = AnnouncementVerifier(public_signing_key(own), {"vgr": public_signing_key(other)})
    verifier.check(_announcement(AnnouncementSigner(own)), "sthlm")
    verifier.check(_announcement(AnnouncementSigner(own)), None)
    verifier.check(_announcement(AnnouncementSigner(other)), "vgr")
    with pytest.raises(RejectEvent, match="does not verify"):
        verifier.check(_announcement(AnnouncementSigner(own)), "vgr")  # vgr has its own pin
    with pytest.raises(RejectEvent, match="does not verify"):
        verifier.check(_announcement(AnnouncementSigner(other)), "sthlm")


def test_the_per_region_setting_is_parsed_and_a_malformed_one_refused() -> None:
    key = public_signing_key(_secret())
    settings = MailboxSettings(environment="development", peer_announcement_public_key=key,
                               peer_announcement_public_keys_by_region=f"vgr={key}, skane={key}")
    assert settings.peer_keys_by_region() == {"vgr": key, "skane": key}
    with pytest.raises(ValidationError, match="region=base64url"):
        MailboxSettings(environment="development", peer_announcement_public_key=key,
                        peer_announcement_public_keys_by_region="vgr=short")
