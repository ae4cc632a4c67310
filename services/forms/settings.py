"""forms' settings (env prefix FORMS_)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, DatabaseSettings


class FormsSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORMS_", extra="ignore")

    http_port: int = 8002
    # Internal caller (shared.auth.InternalCallers): the patient mailbox validates answers.
    internal_caller_patient_mailbox: SecretStr = SecretStr(PLACEHOLDER)
    # Designers upload whole FHIR Questionnaires (or Bundles of them) to import: the import
    # routes take up to 5 MiB, so the service-wide body cap must let that through.
    max_request_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Base of the FHIR canonical URL of every form: {base}/Questionnaire/{form_id}|{version}.
    canonical_base: str = "https://mina-vardkontakter.example/fhir"
    # Give each newly registered care unit the built-in forms, published and offered.
    # None: on in development and test, off in production (a region decides explicitly).
    provision_new_units: bool | None = None

    @property
    def provisioning(self) -> bool:
        if self.provision_new_units is not None:
            return self.provision_new_units
        return self.environment in ("development", "test")
