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


def test_a_second_local_region_has_its_own_ports_and_data_but_the_first_ones_broker(tmp_path):
    from devstack.config import other_region, test_config
    from devstack.services import service_specs

    first = test_config(tmp_path, base_port=20000)
    second = other_region(first)
    assert second.region == "vastra-gotaland" and second.data_dir != first.data_dir
    assert (second.kafka_bootstrap, second.smtp_port, second.mailsink_http_port) == \
        (first.kafka_bootstrap, first.smtp_port, first.mailsink_http_port)
    def ports(cfg):
        return ({s.port for s in service_specs(cfg)}
                | {cfg.pg_port(s.name) for s in cfg.pg_servers})
    assert not ports(first) & ports(second)
    assert not ports(second) & {first.kafka_port, first.smtp_port, first.mailsink_http_port}
    regions = {s.env[s.name.upper().replace("-", "_") + "_REGION"] for s in service_specs(second)}
    assert regions == {"vastra-gotaland"}
