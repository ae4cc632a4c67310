from dataclasses import replace
from datetime import UTC, datetime

from services.audit.domain import (
    GENESIS,
    canonical,
    chain_hash,
    entry_from,
    strip_sealed,
)
from services.audit.signing import Signer
from services.audit.verification import Checkpoint, Verifier
from shared.crypto.sealing import Sealed
from shared.events import Actor, Source, new_event
from shared.events.contracts import MessageOpened, MessageSubmitted

SOURCE = Source(service="patient-mailbox", region="stockholm")
SEALED = Sealed(key_id="k1", ciphertext="Y2lwaGVy")
SIGNER = Signer.from_setting(Signer.generate_setting(), "stockholm")


def submitted(n: int = 1):
    return new_event(MessageSubmitted(
        conversation_id=f"c{n}", message_id=f"m{n}", patient_id="p1", care_unit_id="u1",
        service_type="advice", sealed_body=SEALED, submitted_at=datetime.now(UTC)),
        source=SOURCE, subject=f"c{n}", actor=Actor(id="p1", role="patient"))


def opened():
    return new_event(MessageOpened(conversation_id="c1", message_id="m1", care_unit_id="u1",
                                   staff_id="s1", staff_role="clinician"),
                     source=SOURCE, subject="c1", actor=Actor(id="s1", role="staff"))


def chain(envelopes, signer=SIGNER):
    """[(entry, prev_hash, hash, signature)] as the store would build them."""
    out, prev = [], GENESIS
    for seq, envelope in enumerate(envelopes, start=1):
        entry = entry_from(envelope, seq=seq, recorded_at=datetime.now(UTC))
        digest = chain_hash(prev, entry)
        out.append((entry, prev, digest, signer.sign_record(seq, digest) if signer else None))
        prev = digest
    return out


def checkpoint(seq, digest, signer=SIGNER):
    at = datetime.now(UTC)
    return Checkpoint("stockholm", seq, digest, at, signer.key_id,
                      signer.sign_checkpoint(seq, digest, at))


def verify(links, head=None, checkpoints=()):
    verifier = Verifier(SIGNER.public_key, checkpoints)
    for link in links:
        verifier.feed(*link)
    head = head or ((links[-1][0].seq, links[-1][2]) if links else (0, GENESIS))
    return verifier.result(*head)


def test_summary_keeps_ids_and_drops_sealed_values():
    summary = entry_from(submitted(), seq=1, recorded_at=datetime.now(UTC)).summary
    assert "sealed_body" not in summary
    assert summary["message_id"] == "m1" and summary["patient_id"] == "p1"
    assert "Y2lwaGVy" not in str(summary)


def test_strip_sealed_finds_nested_and_listed_sealed_items():
    sealed = SEALED.model_dump()
    data = {"a": {"copy": sealed, "id": "x"}, "items": [sealed, {"id": "y"}], "sealed_x": 1}
    assert strip_sealed(data) == {"a": {"id": "x"}, "items": [{"id": "y"}]}


def test_entry_carries_actor_source_and_event_identity():
    envelope = opened()
    entry = entry_from(envelope, seq=7, recorded_at=datetime.now(UTC))
    assert (entry.event_type, entry.event_version) == ("messaging.message_opened", 1)
    assert (entry.actor_id, entry.actor_role, entry.source_service) == \
        ("s1", "staff", "patient-mailbox")
    assert entry.event_id == str(envelope.event_id)


def test_canonical_form_is_stable_across_timezones():
    entry = entry_from(opened(), seq=1, recorded_at=datetime.now(UTC))
    from zoneinfo import ZoneInfo
    moved = replace(entry, recorded_at=entry.recorded_at.astimezone(ZoneInfo("Europe/Stockholm")))
    assert canonical(entry) == canonical(moved)


def test_an_intact_chain_verifies():
    result = verify(chain([submitted(1), opened(), submitted(2)]))
    assert result.ok and result.records == 3 and result.first_broken_seq is None


def test_empty_chain_verifies():
    assert verify([]).ok


def test_altered_record_is_found():
    links = chain([submitted(1), opened(), submitted(2)])
    entry, prev, digest, sig = links[1]
    links[1] = (replace(entry, actor_id="someone-else"), prev, digest, sig)
    result = verify(links)
    assert not result.ok and result.first_broken_seq == 2
    assert result.reason == "content does not match its hash"


def test_rehashed_altered_record_fails_its_signature():
    links = chain([submitted(1), opened(), submitted(2)])
    entry, prev, _, sig = links[1]
    forged = replace(entry, actor_id="someone-else")
    links[1] = (forged, prev, chain_hash(prev, forged), sig)
    result = verify(links, head=(3, links[2][2]))
    assert (result.first_broken_seq, result.reason) == (
        2, "signature is not valid for this record")


def test_a_chain_signed_with_another_key_fails_at_its_first_record():
    links = chain([submitted(1), opened()],
                  signer=Signer.from_setting(Signer.generate_setting(), "stockholm"))
    assert verify(links).first_broken_seq == 1


def test_missing_record_is_found():
    links = chain([submitted(1), opened(), submitted(2)])
    del links[1]
    result = verify(links, head=(3, links[-1][2]))
    assert (result.first_broken_seq, result.reason) == (
        2, "record 2 is missing (next record is 3)")


def test_cut_off_tail_is_found_through_the_head():
    links = chain([submitted(1), opened(), submitted(2)])
    result = verify(links[:2], head=(3, links[2][2]))
    assert not result.ok and result.first_broken_seq == 3


def test_cut_off_tail_is_found_through_a_checkpoint_beyond_it():
    links = chain([submitted(1), opened(), submitted(2)])
    result = verify(links[:2], checkpoints=[checkpoint(3, links[2][2])])
    assert (result.first_broken_seq, result.checkpoints) == (3, 1)
    assert "missing" in result.reason


def test_a_chain_that_does_not_reproduce_its_checkpoint_is_broken_there():
    links = chain([submitted(1), opened()])
    result = verify(links, checkpoints=[checkpoint(2, "f" * 64)])
    assert result.first_broken_seq == 2 and "checkpoint" in result.reason


def test_a_checkpoint_with_a_bad_signature_is_named():
    links = chain([submitted(1), opened()])
    good = checkpoint(2, links[1][2])
    forged = replace(good, seq=1, hash=links[0][2])
    result = verify(links, checkpoints=[good, forged])
    assert (result.first_broken_seq, result.checkpoints) == (1, 1)


def test_unsigned_records_are_accepted_only_up_to_the_first_checkpoint():
    """Records made before signing began are anchored by the first checkpoint."""
    links = chain([submitted(1), opened(), submitted(2)], signer=None)
    assert verify(links, checkpoints=[checkpoint(3, links[2][2])]).ok
    result = verify(links, checkpoints=[checkpoint(2, links[1][2])])
    assert (result.first_broken_seq, result.reason) == (3, "record is not signed")


def test_a_recovered_record_hashes_differently_and_others_as_before():
    entry = entry_from(opened(), seq=1, recorded_at=datetime.now(UTC))
    assert b"recovered" not in canonical(entry)
    assert chain_hash(GENESIS, entry) != chain_hash(GENESIS, replace(entry, recovered=True))


def test_after_a_key_rotation_the_old_keys_records_verify_with_its_public_key():
    old = Signer.from_setting(Signer.generate_setting(), "stockholm")
    links = chain([submitted(1), opened()], signer=old)
    verifier = Verifier([SIGNER.public_key, old.public_key], [])
    for link in links:
        verifier.feed(*link)
    assert verifier.result(2, links[-1][2]).ok


def test_the_canonical_form_of_a_record_is_pinned():
    """Stored chains are verified by recomputing this form: it must never change."""
    from services.audit.domain import AuditEntry
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    entry = AuditEntry(7, "e7", "MessageOpened", 1, "c1", "s1", "staff", "careunit-mailbox",
                       "stockholm", "k1", at, at, {"ids": ["m1", {"å": None}], "n": 2})
    assert canonical(entry) == (
        '{"actor_id":"s1","actor_role":"staff","correlation_id":"k1","event_id":"e7",'
        '"event_type":"MessageOpened","event_version":1,'
        '"occurred_at":"2026-01-02T03:04:05.000006+00:00",'
        '"recorded_at":"2026-01-02T03:04:05.000006+00:00","seq":7,'
        '"source_region":"stockholm","source_service":"careunit-mailbox","subject":"c1",'
        '"summary":{"ids":["m1",{"å":null}],"n":2}}').encode()
    assert entry.summary == {"ids": ["m1", {"å": None}], "n": 2}  # read, never changed
