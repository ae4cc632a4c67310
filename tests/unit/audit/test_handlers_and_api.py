from fastapi.testclient import TestClient

from services.audit.bootstrap import create_app
from services.audit.handlers import AUDITED_TOPICS, make_handlers
from services.audit.settings import AuditSettings
from shared.auth import Principal
from shared.events import REGISTRY
from shared.events.contracts import (
    AuditCheckpointSigned,
    CareUnitRegistered,
    MessageOpened,
    NotificationSent,
)


def test_every_registered_event_type_is_audited_from_every_other_topic():
    handlers = make_handlers()
    audited = set(REGISTRY.values()) - {AuditCheckpointSigned}  # its own topic's
    assert set(handlers) == audited and len(handlers) > 10
    assert {MessageOpened, CareUnitRegistered, NotificationSent} <= set(handlers)
    assert "audit.events" not in AUDITED_TOPICS and "identity.events" in AUDITED_TOPICS


class FakeVerifier:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    async def verify(self, token: str) -> Principal:
        return self.principal


def client(principal: Principal | None = None) -> TestClient:
    app = create_app(AuditSettings(environment="test", internal_api_key="secret-key"))
    if principal is not None:
        app.state.token_verifier = FakeVerifier(principal)
    return TestClient(app)  # no lifespan: nothing below the auth check is reached


def test_no_credentials_is_401():
    assert client().get("/v1/records/count").status_code == 401


def test_wrong_internal_key_is_401():
    response = client().get("/v1/verify", headers={"X-Internal-Api-Key": "nope"})
    assert response.status_code == 401


def test_patients_and_non_auditor_staff_are_refused():
    patient = Principal(subject="p1", kind="patient", loa=3)
    staff = Principal(subject="s1", kind="staff", loa=3, units={"u1": ["clinician"]})
    for principal in (patient, staff):
        response = client(principal).get("/v1/records",
                                          headers={"Authorization": "Bearer x"})
        assert response.status_code == 403
