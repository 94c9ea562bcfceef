"""Process settings read once from the environment (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite+aiosqlite:///./data/studybot.db"


def _default_content_dir() -> Path:
    # The decks ship beside the packages in a checkout; a working directory with its own
    # content/ wins so a deployment can mount a different bank.
    local = Path.cwd() / "content"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parent.parent / "content"


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
    log_level: str = Field("INFO", validation_alias="STUDYBOT_LOG_LEVEL")
    quiz_daily_cap: int = Field(100, validation_alias="STUDYBOT_QUIZ_DAILY_CAP", ge=0)

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

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None and bool(self.discord_token.get_secret_value())

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and bool(self.slack_bot_token.get_secret_value())
