"""Settings of the notifier (env prefix NOTIFIER_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER, DatabaseSettings


class NotifierSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    # Its own credential for identity's contact lookup (shared.auth.InternalCallers), and
    # the operator's, for reading the notification log.
    internal_credential: SecretStr = SecretStr(PLACEHOLDER)
    internal_caller_operator: SecretStr = SecretStr(PLACEHOLDER)
    # A mail that goes out up to this much later costs no one anything; batches several
    # times larger under load save a transaction, a relay round and a send claim each.
    consume_gather_s: float = Field(default=0.1, ge=0, le=2.0)
    # The broker holds the notifier's fetches until 16 kB have come or its second's wait has
    # passed: of the eight events a conversation's round puts on the topics it reads, two
    # make a mail, and each was a fetch of its own (up to 1 s later for a mail, at light load).
    consume_fetch_min_bytes: int = Field(default=16 * 1024, ge=1, le=1024 * 1024)
    outbox_linger_s: float = Field(default=0.1, ge=0, le=2.0)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # None: upgrade with STARTTLS when the server offers it; deployments set True to refuse
    # to send in clear, the local mail sink offers no TLS.
    smtp_start_tls: bool | None = None
    smtp_timeout_s: float = 10.0
    # The SMTP connection is kept open between mails and ended after this long unused
    # (below the few minutes after which servers drop idle clients).
    smtp_idle_close_s: float = Field(default=60.0, gt=0, le=240)
    mail_from: str = "1177 Vårdguiden <no-reply@mina-vardkontakter.example>"
    # Where the e-mail tells people to log in (the gateway's public address).
    login_url: str = "http://127.0.0.1:8000/"
    # Unit addresses change rarely; caching them briefly spares identity a call per mail
    # while a changed address still takes effect within a minute.
    unit_address_ttl_s: float = 60.0
    # Patients' contact settings are cached in memory only, dropped as soon as identity's
    # ContactSettingsChanged is consumed (services/notifier/contact_cache.py); the TTL bounds
    # what is kept (0: no cache) and the entry count the memory.
    patient_contact_ttl_s: float = Field(default=60.0, ge=0, le=300)
    patient_contact_cache_max: int = Field(default=4096, ge=1, le=1_000_000)
    # The sender is woken when a mail is added and sleeps until the next one comes due; this
    # is only the fallback poll, for a wake-up missed while its listening connection was down.
    sender_poll_s: float = 5.0
    sender_batch_size: int = 50
    # A claimed notification is someone's for this long; after a crash it is retried.
    sender_lease_s: float = 60.0
    max_attempts: int = 20  # about a day with the capped backoff, then "failed"
    # A patient who has not opened an answer after this long gets one reminder (0: none).
    reminder_after_s: float = Field(default=3 * 24 * 3600, ge=0)
