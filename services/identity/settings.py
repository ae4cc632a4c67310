"""identity's settings (env prefix IDENTITY_)."""

from __future__ import annotations

import binascii

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.crypto.keyring import KeyWrapper
from shared.settings import PLACEHOLDER, DatabaseSettings


class IdentitySettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    http_port: int = 8001
    # Wraps the private signing keys at rest (base64url of 32 bytes).
    key_encryption_key: SecretStr = SecretStr(PLACEHOLDER)
    token_ttl_s: int = 900
    # The active signing key is replaced at start-up once it is older than this.
    signing_key_max_age_days: int = 30
    # A file in services/identity/seed/. Unset: the region's file in development and test,
    # nothing in production (fictitious people must not appear there by default). "" = off.
    seed_file: str | None = None

    # --- Patients: population register, activation letters, password login ---------------
    # A register file (CSV or JSON) imported at start-up; a bare name is looked up in seed/.
    # Unset: seed/population_<region>.csv in development and test, nothing in production.
    population_register_file: str | None = None
    activation_code_ttl_days: int = 30
    # Letters to people with protected identity go here, for Skatteverket to forward.
    letter_forwarding_address: str = "Skatteverket, Box 2820, 403 20 Göteborg"
    letter_login_url: str = "http://127.0.0.1:8000/"  # printed in letters: the web UI
    # Peers whose X-Forwarded-For is believed (the gateway); anyone else is the client.
    trusted_proxies: tuple[str, ...] = ()
    patient_login_client_free_failures: int = 100  # per address, before delays begin

    @property
    def effective_population_register_file(self) -> str | None:
        if self.population_register_file is not None:
            return self.population_register_file or None
        return f"population_{self.region}.csv" if self.dev_login_enabled else None

    @property
    def dev_login_enabled(self) -> bool:
        """The development login trusts whatever id it is given: never outside dev and test."""
        return self.environment in ("development", "test")

    @property
    def effective_seed_file(self) -> str | None:
        if self.seed_file is not None:
            return self.seed_file or None
        return f"{self.region}.json" if self.dev_login_enabled else None

    def key_wrapper(self) -> KeyWrapper:
        try:
            return KeyWrapper.from_b64(self.key_encryption_key.get_secret_value())
        except (ValueError, binascii.Error) as exc:
            raise ValueError("IDENTITY_KEY_ENCRYPTION_KEY must be base64url of 32 random bytes"
                             ) from exc

    @property
    def issuer(self) -> str:
        # Services verify `iss` against their IDENTITY_URL, so the issuer is that exact value.
        return self.identity_url.rstrip("/")

    # --- staff catalogue (services/identity/catalogue) -------------------------------------
    # How often validity dates are re-checked, so a person whose validity ends is revoked
    # without an import (well inside the 60 s the services have to refuse them).
    catalogue_sweep_interval_s: float = 20.0
