"""Settings from the environment (prefix IWMO_) and an optional settings file (IWMO_CONFIG_FILE)."""

from __future__ import annotations

import enum
import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway import sterkte


class Mode(enum.StrEnum):
    """How rules that need an earlier message behave when the gateway has not seen that message.

    strict: the rule fails (the earlier message must be known here);
    lenient: the rule is skipped and the gap is recorded as a notice (e.g. history from before installation).
    """

    STRICT = "strict"
    LENIENT = "lenient"


def is_loopback(host: str | None) -> bool:
    """Whether an address (or the name localhost) is this machine only: 127.0.0.0/8, ::1."""
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class InboundPartner(BaseModel):
    """One direct partner allowed to deliver on POST /ggk: only for itself, unless partij is "*" (a hub)."""

    partij: str = Field(pattern=r"^(\*|[0-9]{4}|[0-9]{8})$")  # gemeentecode, AGB code, or * for a hub
    naam: str = ""  # shown in logs
    token_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")  # printf %s TOKEN | sha256sum
    certificaat: str | None = Field(default=None, min_length=1)  # subject (RFC 4514) or 20-digit OIN

    @model_validator(mode="after")
    def _iets_om_mee_aan_te_melden(self) -> InboundPartner:
        if not (self.token_sha256 or self.certificaat):
            raise ValueError(f"partner {self.partij}: geef token_sha256 of certificaat")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IWMO_",
        env_file=os.environ.get("IWMO_CONFIG_FILE"),
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # a refused secret must not reach a log or a traceback
    )

    database_url: str = Field(default="sqlite:///var/iwmo-gateway.db", description="SQLAlchemy URL")
    # SQLite only: NORMAL survives a crash of the process; FULL also power loss, at an fsync per commit
    # (read by gateway/store/db.py from the environment, so every engine of the process agrees).
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # The parties this gateway serves: 4-digit gemeentecodes and/or 8-digit AGB codes.
    identiteit: list[str] = Field(default_factory=list)
    mode: Mode = Mode.LENIENT
    max_bericht_bytes: int = 20 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8080
    # `serve` processes sharing the port (one writer each): Python runs one message at a time per process, so
    # a machine with more cores accepts more with more processes. SQLite takes their groups in turn.
    serve_processen: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"
    # Who answers questions about this gateway's API: info.contact in its OpenAPI document (NL GOV API Design
    # Rules, /core/doc-openapi-contact). The defaults are placeholders; an operator sets its own.
    api_contact_naam: str = "Beheer iwmo-gateway"
    api_contact_email: str = "beheer@example.org"
    api_contact_url: str = "https://example.org/iwmo-gateway"
    # How long a request body may take to arrive (uvicorn has no limit): in total, and between two chunks.
    # A body that is slower is cut off with 408, so a slow sender cannot hold a worker and a connection open.
    body_timeout_s: float = Field(default=120.0, gt=0)
    body_chunk_timeout_s: float = Field(default=30.0, gt=0)
    # Transport: where messages go (routing table) and how long the outbox keeps trying.
    routes_file: str = Field(default="config/routes.toml", description="routing table (TOML)")
    # Contractual tarieven per gemeente and aanbieder (TOML or CSV, see config/tarieven.example.toml) for TR346
    # and TR418; unset, those contract checks are skipped.
    tarieven_file: str | None = Field(default=None, description="tarieventabel (TOML of CSV)")
    # Digikoppeling's reliable-messaging default: keep retrying for 5 days before giving up.
    transport_horizon_s: int = 5 * 24 * 3600
    transport_retry_basis_s: float = 30.0  # first retry after about this long, doubling per attempt
    transport_retry_max_s: float = 3600.0  # never wait longer than this between attempts
    transport_lease_s: int = 300  # a worker that died mid-send frees its delivery after this long
    transport_timeout_s: float = 30.0
    worker_interval_s: float = 2.0
    # Inbound transport (POST /ggk) is closed unless one of these authenticates the caller; see
    # gateway/transport/toegang.py and config/postgresql.env.example.
    # The GGk knooppunt's bearer token: whoever presents it may deliver for every zender.
    ggk_inbound_token: str | None = Field(default=None, min_length=16)
    # Direct partners (JSON list): each a party bound to a token (as SHA-256) and/or a certificate subject / OIN.
    inbound_partners: list[InboundPartner] = Field(default_factory=list)
    # Our own TLS (uvicorn): server certificate and key, and the CA bundle client certificates must chain to.
    inbound_tls_cert: str | None = None
    inbound_tls_key: str | None = None
    inbound_tls_ca: str | None = None
    # True: every connection needs a client certificate (CERT_REQUIRED); False: verified when presented, so API
    # clients without one still connect and only POST /ggk insists.
    inbound_tls_client_cert_verplicht: bool = True
    # Who a verified client certificate not listed in inbound_partners is ("*" = the hub); unset: refused.
    inbound_tls_partij: str | None = Field(default=None, pattern=r"^(\*|[0-9]{4}|[0-9]{8})$")
    # A TLS-terminating proxy: its addresses (CIDRs) and the header in which it forwards the verified
    # certificate's subject or OIN. From any other address the header is ignored.
    inbound_proxy_vertrouwd: list[str] = Field(default_factory=list)
    inbound_proxy_header: str = "X-SSL-Client-S-DN"
    # Retention (gateway/store/retentie.py): None keeps everything. The feiten term must cover the longest
    # back-reference between parties (a running toewijzing, a late credit), or strict mode starts refusing.
    bewaartermijn_inhoud_dagen: int | None = Field(default=None, ge=1)
    bewaartermijn_feiten_dagen: int | None = Field(default=None, ge=1)
    # Rejected messages wait for a person, but their content (refused bytes, possibly a Bsn) not for ever:
    # after this term it goes as the inhoud term's does. None keeps it.
    bewaartermijn_afgekeurd_dagen: int | None = Field(default=None, ge=1)
    # Audit key (gateway/store/audit.py): each audit event also gets HMAC-SHA256(key, hash), so a chain rewritten
    # and re-hashed by someone with database access is caught. Keep it outside the database and never change it.
    audit_key: SecretStr | None = Field(default=None, min_length=32)
    # Admin console: the secret that signs session cookies. Unset, each process draws its own, so sessions end
    # at a restart and do not carry over between processes; set it when running several.
    # A placeholder or guessable secret is refused at start (gateway/sterkte.py says what counts as weak).
    admin_secret: str | None = Field(default=None)
    admin_sessie_minuten: int = Field(default=8 * 60, ge=1)
    # Webhooks (gateway/gebeurtenissen): a subscription's URL may not resolve to loopback, link-local or private
    # addresses (SSRF) unless this allows it; a receiver that fails this many times in a row is paused.
    webhook_prive_toegestaan: bool = False
    webhook_max_pogingen: int = Field(default=10, ge=1)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    # The DVS drop-in (gateway/api/dvs.py): POST /validatie without an API key, as the Zorginstituut's container
    # answers. Only for a gateway bound to loopback (refused otherwise, here and by `serve --host`), and even then
    # a caller from another address still needs a key. Empty is off.
    dvs_zonder_sleutel: bool = False

    @field_validator("admin_secret")
    @classmethod
    def _admin_secret_sterk(cls, waarde: str | None) -> str | None:
        # Whoever knows this secret can forge a console session: an example value is as bad as none.
        fout = None if waarde is None else sterkte.melding("IWMO_ADMIN_SECRET", waarde)
        if fout:
            raise PydanticCustomError("zwak_geheim", "{melding}", {"melding": fout})
        return waarde

    @field_validator("dvs_zonder_sleutel", mode="before")
    @classmethod
    def _leeg_is_uit(cls, waarde: object) -> object:
        return False if isinstance(waarde, str) and not waarde.strip() else waarde

    @model_validator(mode="after")
    def _dvs_zonder_sleutel_alleen_op_loopback(self) -> Settings:
        if self.dvs_zonder_sleutel and not is_loopback(self.host):
            raise PydanticCustomError("dvs_niet_loopback", "{melding}", {"melding": dvs_niet_loopback(self.host)})
        return self

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix):])
        return None


def dvs_niet_loopback(host: str) -> str:
    return (f"IWMO_DVS_ZONDER_SLEUTEL=true opent POST /validatie zonder API-sleutel en mag alleen op een gateway die "
            f"alleen op loopback luistert, maar het adres is {host!r}. Zet IWMO_HOST op 127.0.0.1 (of ::1) of zet "
            "IWMO_DVS_ZONDER_SLEUTEL uit.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
