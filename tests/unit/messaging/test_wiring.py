"""Both mailboxes' handler maps pass the start-up check of shared.events.wiring: every
contract arriving on their topics is handled or explicitly not of interest."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any, cast

import pytest

from services.messaging.careunit import handlers as careunit
from services.messaging.context import MailboxContext
from services.messaging.patient import handlers as patient
from shared.events import contracts, wiring

# Building a map only closes over the context; no adapter is touched.
BOX = cast(MailboxContext, cast(Any, SimpleNamespace(keyring=None, outbox=None, source=None)))


@pytest.mark.parametrize("mailbox", [patient, careunit], ids=["patient", "careunit"])
def test_every_arriving_contract_is_handled_or_declined(mailbox: ModuleType) -> None:
    box = BOX
    binding = wiring.bind("mailbox", mailbox.CONSUMES, mailbox.build_handlers(box),
                          mailbox.NOT_INTERESTED)
    assert binding.ignored is not None  # a complete declaration, not a legacy name map
    arriving = {wiring.wire_name(c) for c in wiring.on_topics(mailbox.CONSUMES)}
    assert set(binding.handlers) | binding.ignored == arriving


def test_a_contract_dropped_from_the_declaration_stops_the_start() -> None:
    box = BOX
    declined = [c for c in patient.NOT_INTERESTED if c is not contracts.MessageRouted]
    with pytest.raises(wiring.WiringError, match="MessageRouted"):
        wiring.bind("patient-mailbox", patient.CONSUMES, patient.build_handlers(box), declined)
