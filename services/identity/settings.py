"""identity's settings (env prefix IDENTITY_)."""

from __future__ import annotations

import binascii
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.identity.client_address import LOOPBACK, Network, networks
from shared.crypto.keyring import KeyWrapper
from shared.settings import PLACEHOLDER, DatabaseSettings


class IdentitySettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    http_port: int = 8001
    # The listing consumer reads the care-unit mailbox's events for one rare kind (a change
    # of listing): the broker holds its fetches until 16 kB have come or its second's wait
    # has passed, instead of one fetch for each of the five events of every conversation.
    consume_fetch_min_bytes: int = Field(default=16 * 1024, ge=1, le=1024 * 1024)
    # Wraps the private signing keys at rest (base64url of 32 bytes).
    key_encryption_key: SecretStr = SecretStr(PLACEHOLDER)
    # Internal callers (shared.auth.InternalCallers): the notifier asks for contact
    # addresses; the operator's letter printing reads the activation-letter queue.
    internal_caller_notifier: SecretStr = SecretStr(PLACEHOLDER)
    internal_caller_operator: SecretStr = SecretStr(PLACEHOLDER)
    internal_caller_audit: SecretStr = SecretStr(PLACEHOLDER)
    token_ttl_s: int = 300  # access tokens: short, since services verify them offline
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
    # Peers whose X-Forwarded-For is believed (the gateway, an ingress in front of identity):
    # addresses or CIDR ranges, comma-separated. Unset: loopback in development and test,
    # none in production. Anyone else is the client (services/identity/client_address.py).
    trusted_proxies: Annotated[tuple[str, ...] | None, NoDecode] = None
    patient_login_client_free_failures: int = 100  # per address, before delays begin

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(v.strip() for v in value.split(",") if v.strip())
        if value is not None:
            networks(value)  # a typo fails at start-up, not as a silently shared address
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        if self.trusted_proxies is not None:
            return networks(self.trusted_proxies)
        return networks(LOOPBACK) if self.environment in ("development", "test") else ()

    @property
    def effective_population_register_file(self) -> str | None:
        if self.population_register_file is not None:
            return self.population_register_file or None
        return f"population_{self.region}.csv" if self.fictitious_data else None

    @property
    def fictitious_data(self) -> bool:
        """Development and test: the fictitious seed people (and their documented dev
        credentials) are loaded by default; never in production."""
        return self.environment in ("development", "test")

    @property
    def effective_seed_file(self) -> str | None:
        if self.seed_file is not None:
            return self.seed_file or None
        return f"{self.region}.json" if self.fictitious_data else None

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

    # --- OpenID Provider (services/identity/oidc) ----------------------------------------
    # Where browsers reach identity's login pages, if not at the issuer URL (e.g. compose:
    # services use http://identity:8001, browsers http://localhost:8001).
    public_url: str | None = None
    # The gateway is the confidential client; its secret is shared with GATEWAY_CLIENT_SECRET.
    gateway_client_secret: SecretStr = SecretStr(PLACEHOLDER)
    gateway_redirect_uri: str = "http://127.0.0.1:8000/callback"
    gateway_post_logout_redirect_uri: str = "http://127.0.0.1:8000/"
    # A public client (PKCE, no secret) for automated tests; unset: on in development and test.
    test_client_enabled: bool | None = None
    test_client_redirect_uri: str = "http://127.0.0.1/test-client/callback"
    # The built-in test e-ID (anyone can "approve" any personnummer): never in production.
    test_eid_enabled: bool | None = None
    # An external OpenID Connect e-ID broker; off while eid_broker_issuer is unset.
    eid_broker_issuer: str | None = None
    eid_broker_client_id: str = "mina-vardkontakter"
    eid_broker_client_secret: SecretStr = SecretStr("")
    eid_broker_scope: str = "openid https://id.oidc.se/scope/naturalPersonNumber"
    eid_broker_personnummer_claim: str = "https://id.oidc.se/claim/personalIdentityNumber"
    # The assurance level asked for (acr_values) and required in the id token's acr (or higher).
    eid_broker_acr: str = "http://id.elegnamnden.se/loa/1.0/loa3"
    # npm's node_modules (GOV.UK Frontend) for the login pages; /opt/ui-assets in the image.
    assets_dir: Path = Path(__file__).resolve().parents[2] / "node_modules"
    authorization_code_ttl_s: int = 60
    login_request_ttl_s: int = 600
    refresh_token_ttl_s: int = 3600  # idle limit: each refresh starts a new one
    session_ttl_s: int = 8 * 3600  # absolute limit of a login, whatever the refreshes
    # Staff login throttling (oidc/staff_throttle.py): a token bucket per client address,
    # and delays then a lock per (HSA-id, client), never a lock of the account itself.
    staff_login_burst: int = Field(default=20, ge=1, le=10_000)
    staff_login_refill_per_s: float = Field(default=0.5, gt=0, le=1000)
    staff_login_pair_lock_after: int = Field(default=20, ge=2, le=1000)
    staff_login_table_max_entries: int = Field(default=100_000, ge=100, le=10_000_000)
    # Password hashing (patients' and staff's) may use at most this much memory at once:
    # budget / argon2's memory per hash = hashes at a time; a caller waits this long for one,
    # then gets 429 with Retry-After (hash_budget.py).
    password_hash_memory_budget_mib: int = Field(default=256, ge=64, le=65536)
    password_hash_wait_s: float = Field(default=0.5, gt=0, le=30)

    @property
    def browser_url(self) -> str:
        return (self.public_url or self.issuer).rstrip("/")

    @property
    def test_client_active(self) -> bool:
        return self.test_client_enabled if self.test_client_enabled is not None \
            else self.environment in ("development", "test")

    @property
    def test_eid_active(self) -> bool:
        if self.environment == "production":
            return False  # even if asked for: it would let anyone log in as anyone
        return self.test_eid_enabled if self.test_eid_enabled is not None else True

    # --- staff catalogue (services/identity/catalogue) -------------------------------------
    # How often validity dates are re-checked, so a person whose validity ends is revoked
    # without an import (well inside the 60 s the services have to refuse them).
    catalogue_sweep_interval_s: float = 20.0
