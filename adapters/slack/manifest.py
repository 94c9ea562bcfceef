"""What the Slack app asks for: the slash command, events and bot scopes behind manifest.yml."""

from __future__ import annotations

COMMAND = "/study"
# message.im: deck files shared with the bot in its DM (`deck import NAME` as the comment).
EVENTS: tuple[str, ...] = ("app_home_opened", "message.im")

# Every Web API method the adapter calls with the bot token, and the bot scope it needs
# (None: the method needs no scope). tests/slack/test_manifest.py checks this table against
# the calls in the adapter's source and against manifest.yml, so neither can drift.
METHOD_SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None,  # authorised by the interaction's trigger_id
    "views.publish": None,  # the App Home of a user who opened it
    "users.info": "users:read",  # is_admin/is_owner for admin commands; display names
    "auth.test": None,  # the bot token checked at start (Bolt also calls it for the bot id)
    # Before a scheduled post is retried, the channel's recent history is read for the
    # message (marked with metadata), so an ambiguous failure never doubles it.
    "conversations.history": "channels:history",
    # `config channel` asks whether the bot is in the channel (is_member) before enabling it.
    "conversations.info": "channels:read",
    # A deck file shared in the DM: its size and private URL, then the download itself.
    "files.info": "files:read",
    # Charts (tally, `leaderboard chart`, `stats chart`): slack_sdk's helper calls
    # files.getUploadURLExternal, uploads, then files.completeUploadExternal into the channel.
    "files.upload.v2": "files:write",
    # A private chart goes to the user's DM with the app, opened by user id.
    "conversations.open": "im:write",
}
# Called through the Socket Mode client with the app-level token, whose own scope
# (connections:write) is chosen when the token is generated, not in the manifest.
LIBRARY_METHODS: tuple[str, ...] = ("apps.connections.open",)

# `commands` for /study; `chat:write.public` lets the daily question go to a public channel
# the bot was never invited to (private channels still need `/invite @StudyBot`);
# `groups:history` is conversations.history in a private channel, `groups:read`
# conversations.info there.
EXTRA_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write.public",
    "groups:history",
    "groups:read",
    "im:history",  # the message.im event: what a person sends the bot in its DM
)

SCOPES: tuple[str, ...] = tuple(
    sorted({s for s in METHOD_SCOPES.values() if s is not None} | set(EXTRA_SCOPES))
)
