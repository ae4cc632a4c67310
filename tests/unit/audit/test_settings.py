import pytest
from pydantic import ValidationError

from services.audit.settings import AuditSettings
from services.audit.signing import BadKey, Signer

OWNER = "postgresql+psycopg://audit:pw@db/audit"
APP = "postgresql+psycopg://audit_app:pw@db/audit"
PROD = {"environment": "production", "internal_caller_operator": "o" * 32,
        "internal_credential": "a" * 32, "kafka_password": "a-real-kafka-password"}


def test_production_refuses_to_run_without_a_signing_key():
    with pytest.raises(ValidationError, match="checkpoint_signing_key"):
        AuditSettings(**PROD, owner_database_url=OWNER, database_url=APP)


def test_production_refuses_to_run_as_the_logs_owner():
    with pytest.raises(ValidationError, match="different roles"):
        AuditSettings(**PROD, owner_database_url=OWNER, database_url=OWNER,
                      checkpoint_signing_key=Signer.generate_setting())


def test_production_with_two_roles_and_a_key_starts():
    AuditSettings(**PROD, owner_database_url=OWNER, database_url=APP,
                  checkpoint_signing_key=Signer.generate_setting())


def test_retention_cannot_be_shorter_than_five_years():
    with pytest.raises(ValidationError, match="retention_years"):
        AuditSettings(environment="test", retention_years=4)


def test_a_malformed_key_is_refused():
    with pytest.raises(BadKey):
        Signer.from_setting("not a key", "stockholm")
