"""Process settings read once from the environment (and an optional .env file)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.inbox import LEASE

DEFAULT_DB_URL = "sqlite+aiosqlite:///./data/studybot.db"
DB_URL_EXPECTED = (
    "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST[:PORT]/DATABASE"
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# Names other tools write for the same backend (Heroku-style `postgres://`).
_ALIASES = {"postgres": "postgresql"}
# What each setting should look like, for the one-line error a bad value gets.
EXPECTED = {
    "STUDYBOT_DATABASE_URL": DB_URL_EXPECTED,
    "STUDYBOT_CONTENT_DIR": "a folder of question decks",
    "STUDYBOT_CACHE_DIR": "a folder the bot may write, private to its user",
    "STUDYBOT_LOG_LEVEL": ", ".join(LOG_LEVELS),
    "STUDYBOT_QUIZ_DAILY_CAP": "a whole number, 0 or more (points per person per day)",
    "DISCORD_DEV_GUILD_ID": "a server id, digits only",
    "DISCORD_CLIENT_ID": "the application id, digits only",
    "DISCORD_SHARD_COUNT": "a whole number, 1 or more",
    "STUDYBOT_GRADER_URL": "an OpenAI-compatible API root, e.g. http://localhost:11434/v1",
    "STUDYBOT_GRADER_TIMEOUT": "seconds, more than 0",
    "STUDYBOT_INBOX_LEASE": "seconds, from 1 to 1800",
}
# Never echoed back in an error message.
_SECRET = {
    "STUDYBOT_GRADER_API_KEY",
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
}


class SettingsError(ValueError):
    """A setting or option that cannot be used; the message is one line for the user."""


def hide_password(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def with_async_driver(url: str) -> str:
    """`url` with StudyBot's async driver filled in when it names none: `sqlite:///x.db`,
    `postgresql://...` and `postgres://...` are what most guides and hosts hand out, and
    there is only one driver each could mean. An explicit other driver is left for
    database_url_problem to refuse."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url
    backend = _ALIASES.get(parsed.drivername, parsed.drivername)
    if "+" in parsed.drivername or backend not in _DRIVERS:
        return url
    return parsed.set(drivername=f"{backend}+{_DRIVERS[backend]}").render_as_string(
        hide_password=False
    )


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot be StudyBot's database, or None when its form is usable."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "not a database URL"
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in _DRIVERS:
        return f"'{backend}' is not a supported database"
    if driver != _DRIVERS[backend]:
        return f"{backend} needs the {_DRIVERS[backend]} driver ({backend}+{_DRIVERS[backend]}://)"
    return None


def _default_content_dir() -> Path:
    # The decks ship beside the packages in a checkout; a working directory with its own
    # content/ wins so a deployment can mount a different bank.
    local = Path.cwd() / "content"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parent.parent / "content"


def _default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/studybot`, else `~/.cache/studybot`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "studybot"


class Settings(BaseSettings):
    """Every knob StudyBot reads; each one is documented in .env.example and the README."""

    # Blank lines copied from .env.example (`DISCORD_DEV_GUILD_ID=`) mean "not set".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(DEFAULT_DB_URL, validation_alias="STUDYBOT_DATABASE_URL")
    content_dir: Path = Field(
        default_factory=_default_content_dir, validation_alias="STUDYBOT_CONTENT_DIR"
    )
    # Where the parsed question bank is kept between starts (bot/bank_cache.py); private to
    # the bot's user, since the entry is a pickle.
    cache_dir: Path = Field(
        default_factory=_default_cache_dir, validation_alias="STUDYBOT_CACHE_DIR"
    )
    log_level: str = Field("INFO", validation_alias="STUDYBOT_LOG_LEVEL")
    quiz_daily_cap: int = Field(100, validation_alias="STUDYBOT_QUIZ_DAILY_CAP", ge=0)

    # The optional model grader for interview answers: any OpenAI-compatible endpoint. Unset
    # means the built-in grader only; a local server (Ollama, llama.cpp) needs no key.
    grader_url: str | None = Field(None, validation_alias="STUDYBOT_GRADER_URL")
    grader_model: str = Field("llama3.1", validation_alias="STUDYBOT_GRADER_MODEL")
    grader_api_key: SecretStr | None = Field(None, validation_alias="STUDYBOT_GRADER_API_KEY")
    grader_timeout: float = Field(20.0, validation_alias="STUDYBOT_GRADER_TIMEOUT", gt=0)
    # How long an interaction's inbox row belongs to the process that acknowledged it; a row
    # still unfinished after that is replayed (its process died). At most 30 minutes: Slack's
    # response_url lives that long, and a user waits no longer for a late reply.
    inbox_lease: float = Field(
        LEASE.total_seconds(), validation_alias="STUDYBOT_INBOX_LEASE", ge=1, le=1800
    )

    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_dev_guild_id: int | None = Field(None, validation_alias="DISCORD_DEV_GUILD_ID")
    # The application id, only for `studybot discord invite-url`.
    discord_client_id: int | None = Field(None, validation_alias="DISCORD_CLIENT_ID")
    # Sharding across processes: this process runs `DISCORD_SHARD_IDS` (e.g. "0,1") out of
    # `DISCORD_SHARD_COUNT`; unset means one process and Discord's recommended count.
    discord_shard_count: int | None = Field(None, validation_alias="DISCORD_SHARD_COUNT", ge=1)
    discord_shard_ids: str = Field("", validation_alias="DISCORD_SHARD_IDS")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_admin_users: str = Field("", validation_alias="SLACK_ADMIN_USERS")
    # HTTP mode's listening address: every interface by default, 127.0.0.1 behind a local proxy.
    slack_http_host: str = Field("0.0.0.0", validation_alias="SLACK_HTTP_HOST")
    # The Web API root; only a test double or an egress proxy changes it.
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    @field_validator("database_url")
    @classmethod
    def _usable_url(cls, value: str) -> str:
        value = with_async_driver(value)
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("grader_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("inbox_lease")
    @classmethod
    def _outlasts_grading(cls, value: float, info: ValidationInfo) -> float:
        # A lease shorter than a model grading would replay an interview answer while the
        # process that took it is still waiting for the model: graded twice.
        timeout = info.data.get("grader_timeout")
        if info.data.get("grader_url") and isinstance(timeout, float) and value <= timeout:
            raise ValueError(
                f"must be longer than STUDYBOT_GRADER_TIMEOUT ({timeout:g} s), or a slow "
                "grading is replayed while it runs"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError("not a log level")
        return value.upper()

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None and bool(self.discord_token.get_secret_value())

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())


def _problem(error: ErrorDetails) -> str:
    name = str(error["loc"][0]) if error["loc"] else "?"
    reason = error["msg"].removeprefix("Value error, ")
    shown = "" if name in _SECRET else f"={hide_password(str(error.get('input', '')))!r}"
    text = f"setting {name}{shown} (environment or .env): {reason}"
    expected = EXPECTED.get(name)
    return f"{text}; expected {expected}." if expected else f"{text}."


def load_settings() -> Settings:
    """Settings from the environment and .env; a bad value raises SettingsError, one line."""
    try:
        return Settings()
    except ValidationError as exc:
        errors = exc.errors()
        more = f" ({len(errors) - 1} more bad setting(s))" if len(errors) > 1 else ""
        raise SettingsError(_problem(errors[0]) + more) from None
