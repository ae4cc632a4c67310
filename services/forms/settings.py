"""forms' settings (env prefix FORMS_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import DatabaseSettings


class FormsSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORMS_", extra="ignore")

    http_port: int = 8002
    # Base of the FHIR canonical URL of every form: {base}/Questionnaire/{form_id}|{version}.
    canonical_base: str = "https://mina-vardkontakter.example/fhir"
