"""Topic and consumer-group names per region: two regions on one broker never meet."""

import pytest
from pydantic import ValidationError

from services.routing.bootstrap import app_id, directory_changelog
from shared.events import topics
from shared.settings import ServiceSettings


def test_every_regional_name_carries_the_region():
    assert topics.on_broker("sthlm", topics.PATIENT_MAILBOX) == "sthlm.patient-mailbox.events"
    assert topics.group_id("vgr", "audit") == "vgr.audit"
    assert topics.on_broker("vgr", topics.dead_letter("audit")) == "vgr.dlq.audit"
    assert app_id("vgr") == "vgr.routing"
    assert directory_changelog("vgr") == "vgr.routing-unit_directory-changelog"


def test_two_regions_share_only_the_interregion_topics():
    sthlm = set(topics.region_topics("sthlm", ("audit",)))
    vgr = set(topics.region_topics("vgr", ("audit",)))
    assert sthlm & vgr == {topics.INTERREGION_UNITS}
    assert topics.interregion_inbound("vgr") in vgr - sthlm
    assert len(sthlm) == len(topics.ALL) + 3


@pytest.mark.parametrize("bad", ["", "Sthlm", "a.b", "-x", "x-", "a b", "å", "x" * 41])
def test_a_region_name_that_would_break_topic_names_is_refused(bad):
    assert not topics.valid_region(bad)
    with pytest.raises(ValueError):
        topics.on_broker(bad, topics.IDENTITY)
    with pytest.raises(ValidationError):
        ServiceSettings(environment="test", region=bad)


def test_the_default_is_one_development_region():
    assert ServiceSettings(environment="test").region == "stockholm"
    assert ServiceSettings(environment="test", region="vastra-gotaland").region == \
        "vastra-gotaland"
