"""The Bolt AsyncApp: /study, answer buttons, the answer modal and App Home, over the core."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import (
    AsyncAck,
    AsyncApp,
    AsyncBoltContext,
    AsyncBoltRequest,
    AsyncRespond,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.charts import upload_chart, upload_private_chart
from adapters.slack.client import make_client
from adapters.slack.decks import DECK_BLOCK, DECK_VIEW, deck_modal, download, submitted
from adapters.slack.directory import UserDirectory, parse_admin_ids
from adapters.slack.manifest import COMMAND
from adapters.slack.translate import (
    ANSWER_ACTIONS,
    ANSWER_BLOCK,
    ANSWER_INPUT,
    ANSWER_VIEW,
    CHART_ACTION,
    OPEN_ACTIONS,
    ModalContext,
    access_of,
    action_delivery_id,
    answer_command,
    channel_of,
    enables_channel,
    event_delivery_id,
    in_direct_message,
    needs_admin,
    open_request,
    origin,
    payload_name,
    typed,
    view_delivery_id,
    workspace_of,
)
from bot import commands as c
from bot import messages as m
from bot.bootstrap import App
from bot.identity import Origin, PostAccess
from bot.intake import Interaction, Ticket
from bot.parsing import parse
from bot.replies import Notice, Reply, Tone, Visibility, file_fallback, image_of
from bot.settings import Settings
from bot.usecases.registration import record_aliases, record_display_name
from bot.wire import Request

log = logging.getLogger(__name__)

# Slack wants every request acknowledged within 3 seconds. A modal submission waits this long
# for the core's verdict so a refusal can be shown in the modal itself; anything slower is
# acknowledged (closing the modal) and the verdict follows as a private message.
ANSWER_BUDGET = 2.0
# A response_url takes replies for 30 minutes; a late reply after that goes by DM.
RESPONSE_URL_TTL = dt.timedelta(minutes=30)
# What the App Home tab shows: the user's stats and this week's boards.
HOME_REQUEST = (
    c.ShowStats(),
    c.ShowLeaderboard("teams", "week"),
    c.ShowLeaderboard("users", "week"),
)
# chat.postMessage/postEphemeral errors that mean "not here": the bot is not a member (or the
# channel is private to it, or archived), or the user has left. The reply goes by DM instead.
NOT_POSTABLE = frozenset(
    {"not_in_channel", "channel_not_found", "user_not_in_channel", "is_archived"}
)

Body = dict[str, Any]


class SlackAdapter:
    """Translates Slack requests into core commands and renders the replies. It holds no rules
    and no storage: everything goes through the app's dispatcher."""

    def __init__(
        self,
        app: App,
        settings: Settings,
        client: AsyncWebClient | None = None,
        directory: UserDirectory | None = None,
        answer_budget: float = ANSWER_BUDGET,
    ) -> None:
        self.app = app
        self.client = client or make_client(settings)
        secret = settings.slack_signing_secret
        self.bolt = AsyncApp(
            client=self.client,
            # Explicit, so Bolt never falls back to reading the environment on its own; Socket
            # Mode does not sign requests, HTTP mode refuses to start without a secret.
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=True,
            name="studybot",
        )
        self.directory = directory or UserDirectory(
            self.client, parse_admin_ids(settings.slack_admin_users), on_name=self.store_name
        )
        self.answer_budget = answer_budget
        self.bolt.command(COMMAND)(self.on_command)
        self.bolt.action(ANSWER_ACTIONS)(self.on_answer_button)
        self.bolt.action(OPEN_ACTIONS)(self.on_open_modal)
        self.bolt.action(CHART_ACTION)(self.on_chart_button)
        self.bolt.action(render.REVIEW_ACTION)(self.on_review_button)
        self.bolt.view(ANSWER_VIEW)(self.on_modal_submit)
        self.bolt.event("app_home_opened")(self.on_home_opened)
        self.bolt.view(DECK_VIEW)(self.on_deck_submit)
        # message.im: a deck file shared with the bot in its DM (the one message it reads).
        self.bolt.event("message")(self.on_direct_message)

    # -- shared ------------------------------------------------------------------------------

    async def origin(
        self,
        context: AsyncBoltContext,
        channel_id: str,
        user_id: str,
        name: str | None,
        *,
        admin_command: bool = False,
    ) -> Origin:
        """Who acts where, named as Slack shows them (display name, else real name, else the
        payload's handle). users.info (rate-limited) is waited for only by an admin command.
        Every other request, answers above all, takes the name and admin flag from memory and
        never waits for the Web API; a user not known yet is looked up after the request
        (`processed`), and a better name reaches the core then (`store_name`)."""
        workspace = workspace_of(
            context.team_id, context.enterprise_id, bool(context.is_enterprise_install)
        )
        if admin_command:
            person = await self.directory.person(user_id, name)
            return origin(
                workspace, channel_id, user_id, person.name, person.is_admin, person.guessed
            )
        known = self.directory.known(user_id)
        is_admin = known.is_admin if known else self.directory.listed(user_id)
        who = origin(workspace, channel_id, user_id, name or user_id, is_admin)
        # Keyed as the core keys the user (platform and workspace), for `store_name`. A name
        # users.info has not given yet is the handle, which the core keeps from replacing a
        # better name stored earlier (before a restart, or by a warm-up meanwhile).
        display, guessed = self.directory.display_name(user_id, who.place.workspace_key, name)
        return dataclasses.replace(who, display_name=display, guessed_name=guessed)

    async def process(self, ticket: Ticket, interaction: Interaction) -> list[Reply]:
        try:
            return await self.app.dispatcher.process(ticket, interaction)
        finally:
            self.processed(interaction.origin)

    def processed(self, who: Origin) -> None:
        # After the request stored its user (under the name it carried), so the name the
        # warm-up learns is written after it, never overwritten by it. A request that carried
        # only the handle asks for that again even when an earlier request's warm-up already
        # ran: the core keeps a stored name over a handle, but a daily click racing a
        # warm-up in another process may still have written the one it read (docs/slack.md).
        if who.guessed_name:
            self.directory.recheck(who.user.user_id, who.place.workspace_key, who.display_name)
        self.directory.warm_up()

    async def store_name(
        self, workspace: str, user_id: str, name: str, aliases: tuple[str, ...]
    ) -> None:
        await record_display_name(self.app.ctx, workspace, user_id, name)
        await record_aliases(self.app.ctx, workspace, user_id, aliases)

    async def post_access(
        self, channel: str, user: str, *, direct: bool = False
    ) -> PostAccess | None:
        """Whether the bot can post the daily question in `channel` (conversations.info), or
        None when Slack could not say, which does not stand in the way. `direct`: the command
        was typed in a direct message (see `dm_access`)."""
        if direct:
            return await self.dm_access(channel, user)
        try:
            response = await self.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "channel_not_found":
                # A private channel (or someone else's DM) is invisible to a non-member.
                return PostAccess(invite=True)
            # missing_scope: installed before channels:read/groups:read were asked for.
            log.warning(
                "conversations.info for %s failed (%s); not checking whether the bot may post "
                "there (reinstall the app from manifest.yml if the error is missing_scope)",
                channel,
                error,
            )
            return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("conversations.info for %s failed (%s); not checked", channel, exc)
            return None
        info = response.get("channel")
        return access_of(info if isinstance(info, dict) else {})

    async def dm_access(self, channel: str, user: str) -> PostAccess | None:
        """A command typed in a direct message: the bot's own DM with the user takes posts, a
        DM between two people never (no invitation helps). conversations.open (im:write,
        already granted) names the bot's DM with the user, so telling them apart needs no
        im:read; conversations.info would only answer `channel_not_found` for the other."""
        try:
            opened = await self.client.conversations_open(users=user)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("conversations.open for %s failed (%s); not checked", user, exc)
            return None
        found = opened.get("channel")
        own = found.get("id") if isinstance(found, dict) else None
        return PostAccess() if own == channel else PostAccess(direct=True)

    async def receive(
        self, key: str, who: Origin, request: Request, route: dict[str, Any]
    ) -> tuple[Interaction, Ticket]:
        """Write the interaction to the inbox before it is acknowledged: the one place that
        recognises a redelivery or a replayed request. `route` is how a late reply finds the
        user if this process dies before it answers (see late.py)."""
        interaction = Interaction(
            key,
            who,
            request,
            route=json.dumps(route, separators=(",", ":")),
            route_ttl=RESPONSE_URL_TTL if route.get("url") else None,
        )
        return interaction, await self.app.dispatcher.receive(interaction)

    async def deliver(
        self,
        replies: Sequence[Reply],
        *,
        respond: AsyncRespond | None,
        channel: str | None,
        user: str,
        interactive: bool = False,
    ) -> None:
        """Private replies stay ephemeral, public ones go to the channel. The response_url works
        even where the bot is not a member; it expires (30 minutes, 5 uses), so the Web API is
        the fallback, and the only way when there is no response_url. chat.postEphemeral needs
        the bot in the channel (chat:write.public covers chat.postMessage only), so where it
        is not, the reply goes to the user's DM with StudyBot, saying why. Files (charts, an
        exported deck) are uploaded after the text; a document whose upload fails (no
        files:write yet) follows as text."""
        await self._send(replies, respond, channel, user, interactive)
        for reply in replies:
            image = image_of(reply)
            if image is None:
                continue
            if reply.visibility is Visibility.PUBLIC and channel:
                sent = await upload_chart(self.client, image, channel)
            else:
                sent = await upload_private_chart(self.client, image, user)
            instead = file_fallback(reply)
            if not sent and instead is not None:
                await self._send([instead], respond, channel, user, interactive)

    async def _send(
        self,
        replies: Sequence[Reply],
        respond: AsyncRespond | None,
        channel: str | None,
        user: str,
        interactive: bool,
    ) -> None:
        explained = False
        for message in render.messages(replies):
            try:
                if await self._respond(respond, message, interactive):
                    continue
                if channel and await self._post_in(channel, user, message):
                    continue
                if channel and not explained:
                    await self._post_direct(user, render.elsewhere_note(channel))
                    explained = True
                await self._post_direct(user, message)
            except Exception:
                log.exception("replying to %s in %s failed", user, channel)

    @staticmethod
    async def _respond(
        respond: AsyncRespond | None, message: render.Message, interactive: bool
    ) -> bool:
        """Post to the response_url; False when there is none or it no longer works."""
        if respond is None or not respond.response_url:
            return False
        # A click's reply is a new message: replacing the original would overwrite the
        # channel's daily question for everyone.
        extra: dict[str, Any] = {"replace_original": False} if interactive else {}
        try:
            sent = await respond(
                text=message.text,
                blocks=message.blocks,
                response_type="in_channel" if message.public else "ephemeral",
                **extra,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("response_url unreachable (%s)", exc)
            return False
        if sent.status_code == 200:
            return True
        log.info("response_url refused (%s %s)", sent.status_code, sent.body)
        return False

    async def _post_in(self, channel: str, user: str, message: render.Message) -> bool:
        """Post in the channel (ephemerally if private); False when the bot cannot post there."""
        try:
            if message.public:
                await self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks
                )
            else:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user, text=message.text, blocks=message.blocks
                )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in NOT_POSTABLE:
                raise
            log.info("cannot post to %s in %s (%s); replying by DM", user, channel, error)
            return False
        return True

    async def _post_direct(self, user: str, message: render.Message) -> None:
        # A user id as the channel posts in the app's DM with that user (its Messages tab).
        await self.client.chat_postMessage(channel=user, text=message.text, blocks=message.blocks)

    # -- /study ------------------------------------------------------------------------------

    async def on_command(
        self,
        ack: AsyncAck,
        body: Body,
        respond: AsyncRespond,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        text = typed(str(body.get("text") or ""))
        channel = str(body.get("channel_id", ""))
        if isinstance(parse(text), c.ImportDeck) and body.get("trigger_id"):
            await self.open_deck_form(ack, body, context, respond, text)
            return
        # Nothing that waits on Slack before the ack: the admin flag and the channel access
        # are looked up after it, for the processing.
        who = await self.origin(context, channel, body["user_id"], body.get("user_name"))
        route = {"url": body.get("response_url"), "channel": channel, "user": body["user_id"]}
        interaction, ticket = await self.receive(command_key(request), who, text, route)
        await ack()
        if ticket.verdict == "new":
            if needs_admin(text):
                who = await self.origin(
                    context, channel, body["user_id"], body.get("user_name"), admin_command=True
                )
            if enables_channel(text):
                # `config channel` refuses a channel the bot could not post in, naming the fix.
                access = await self.post_access(
                    channel, body["user_id"], direct=in_direct_message(body)
                )
                who = dataclasses.replace(who, can_post=access)
            interaction = dataclasses.replace(interaction, origin=who)
        # `/study` alone and `/study help` both reach ShowHelp through the core's grammar.
        replies = await self.process(ticket, interaction)
        await self.deliver(replies, respond=respond, channel=channel, user=body["user_id"])

    async def open_deck_form(
        self,
        ack: AsyncAck,
        body: Body,
        context: AsyncBoltContext,
        respond: AsyncRespond,
        text: str,
    ) -> None:
        """`/study deck import NAME`: a form to paste the deck into (a file goes by DM).
        Opening a form changes nothing, so it takes no inbox row; its submission imports."""
        await ack()
        channel = str(body.get("channel_id", ""))
        who = await self.origin(
            context, channel, body["user_id"], body.get("user_name"), admin_command=True
        )
        parsed = parse(text)
        if who.is_admin and isinstance(parsed, c.ImportDeck):
            view = deck_modal(parsed.name, channel, body.get("response_url"))
            await self.client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        replies = await self.app.dispatcher.handle_text(text, who)  # the core refuses
        self.processed(who)
        await self.deliver(replies, respond=respond, channel=channel, user=body["user_id"])

    # -- buttons -----------------------------------------------------------------------------

    async def on_answer_button(
        self,
        ack: AsyncAck,
        body: Body,
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        user = body["user"]
        key = action_delivery_id(user["id"], action)
        command = answer_command(action["action_id"], key)
        if command is None:
            await ack()
            log.warning("unknown answer action %r", action.get("action_id"))
            return
        channel = channel_of(body)
        who = await self.origin(
            context,
            channel or user["id"],
            user["id"],
            payload_name(user),
        )
        route = {"url": body.get("response_url"), "channel": channel, "user": user["id"], "i": 1}
        interaction, ticket = await self.receive(key, who, command, route)
        await ack()
        replies = await self.process(ticket, interaction)
        await self.deliver(
            replies, respond=respond, channel=channel, user=user["id"], interactive=True
        )

    async def on_chart_button(
        self,
        ack: AsyncAck,
        body: Body,
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """The Chart button under text stats: `stats chart [user]`, answered privately."""
        await ack()
        user = body["user"]
        channel = channel_of(body)
        who = await self.origin(context, channel or user["id"], user["id"], payload_name(user))
        command = c.ShowStats(str(action.get("value") or "") or None, chart=True)
        replies = await self.app.dispatcher.dispatch(command, who)
        self.processed(who)
        await self.deliver(
            replies, respond=respond, channel=channel, user=user["id"], interactive=True
        )

    async def on_open_modal(
        self, ack: AsyncAck, body: Body, action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # The trigger_id expires three seconds after the click: ack, then open at once.
        await ack()
        request = open_request(action["action_id"])
        if request is None:
            log.warning("unknown modal action %r", action.get("action_id"))
            return
        modal = ModalContext(
            request.target,
            request.question_type,
            channel_of(body) or body["user"]["id"],
            body.get("response_url"),
        )
        view = render.answer_modal(modal, str(action.get("value") or ""))
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    # -- the answer modal --------------------------------------------------------------------

    async def on_modal_submit(
        self, ack: AsyncAck, body: Body, view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        modal = ModalContext.load(str(view.get("private_metadata") or ""))
        if modal is None:
            log.warning("answer modal without usable metadata")
            await ack()
            return
        state = view.get("state", {}).get("values", {})
        text = str((state.get(ANSWER_BLOCK, {}).get(ANSWER_INPUT, {}) or {}).get("value") or "")
        if not text.strip():
            await ack(response_action="errors", errors={ANSWER_BLOCK: m.ANSWER_EMPTY})
            return
        user = body["user"]
        key = view_delivery_id(body, view, text)
        command = modal.command(text, key)
        who = await self.origin(context, modal.channel, user["id"], payload_name(user))
        route = {"url": modal.response_url, "channel": modal.channel, "user": user["id"], "i": 1}
        interaction, ticket = await self.receive(key, who, command, route)
        work = asyncio.ensure_future(self.process(ticket, interaction))
        # asyncio.wait, not wait_for: the answer must never be cancelled half-way.
        done, _ = await asyncio.wait({work}, timeout=self.answer_budget)
        if done:
            replies = work.result()
            refusal = _single_refusal(replies)
            if refusal is not None:
                await ack(
                    response_action="errors",
                    errors={ANSWER_BLOCK: render.field_error(refusal.text)},
                )
                return
        await ack()
        replies = await work
        respond = AsyncRespond(response_url=modal.response_url) if modal.response_url else None
        await self.deliver(
            replies, respond=respond, channel=modal.channel, user=user["id"], interactive=True
        )

    # -- deck imports ----------------------------------------------------------------------------

    async def on_deck_submit(
        self, ack: AsyncAck, body: Body, view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        found = submitted(view)
        if found is None:
            log.warning("deck modal without usable metadata")
            await ack()
            return
        command, channel, response_url = found
        text = command.text or ""
        if not text.strip():
            await ack(response_action="errors", errors={DECK_BLOCK: m.SLACK_DECK_EMPTY})
            return
        user = body["user"]
        # Written to the inbox before the ack like every interaction: a redelivered or double
        # submission imports once, and one acknowledged by a process that died is replayed.
        # The admin flag from memory first (the form opened only after users.info said so).
        who = await self.origin(context, channel, user["id"], payload_name(user))
        route = {"url": response_url, "channel": channel, "user": user["id"]}
        key = view_delivery_id(body, view, text)
        interaction, ticket = await self.receive(key, who, command, route)
        await ack()  # an import may take longer than Slack's three seconds
        if ticket.verdict == "new":
            who = await self.origin(
                context, channel, user["id"], payload_name(user), admin_command=True
            )
            interaction = dataclasses.replace(interaction, origin=who)
        replies = await self.process(ticket, interaction)
        respond = AsyncRespond(response_url=response_url) if response_url else None
        await self.deliver(replies, respond=respond, channel=channel, user=user["id"])

    async def on_direct_message(
        self,
        event: dict[str, Any],
        body: Body,
        request: AsyncBoltRequest,
        context: AsyncBoltContext,
    ) -> None:
        """A file shared in the bot's DM with the comment `deck import NAME` is imported;
        anything else a person writes there gets the one line saying so."""
        if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
            return
        if event.get("subtype") not in (None, "file_share"):
            return
        user = str(event["user"])
        text = typed(str(event.get("text") or ""))
        parsed = parse(text)
        files = event.get("files") or []
        who = await self.origin(context, str(event.get("channel") or user), user, None)
        # Slack redelivers an event it thinks was not acknowledged; the inbox sees it once.
        key = event_delivery_id(str(body.get("event_id") or ""))
        interaction, ticket = await self.receive(key, who, text, {"user": user})
        if ticket.verdict != "new":
            return
        if not isinstance(parsed, c.ImportDeck) or not files:
            replies: list[Reply] = [Notice(m.SLACK_DECK_DM_HINT)]
            await self.app.dispatcher.settle(ticket, replies)
        else:
            who = await self.origin(
                context, str(event.get("channel") or user), user, None, admin_command=True
            )
            fetched = await download(self.client, str(files[0].get("id"))) if who.is_admin else None
            if isinstance(fetched, str):
                replies = [Notice(fetched, Tone.ERROR)]
                await self.app.dispatcher.settle(ticket, replies)
            else:
                command = parsed  # not an admin: the core's refusal
                if fetched is not None:
                    name, body_text = fetched
                    command = dataclasses.replace(parsed, filename=name, text=body_text, path=None)
                # The row keeps the comment, not the file: a replay asks for the file again.
                interaction = dataclasses.replace(interaction, origin=who, request=command)
                replies = await self.process(ticket, interaction)
        for message in render.messages(replies):
            await self._post_direct(user, message)

    # -- App Home ------------------------------------------------------------------------------

    async def on_home_opened(
        self,
        event: dict[str, Any],
        body: Body,
        request: AsyncBoltRequest,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        event_id = body.get("event_id")
        if event.get("tab") != "home" or not isinstance(event_id, str):
            return
        user_id = str(event["user"])
        # app_home_opened carries no name: the one request besides admin commands that asks
        # users.info (cached), so the core keeps calling the person by their Slack name.
        # Bolt acknowledges an event before its listener runs, so none of this delays the ack.
        person = await self.directory.person(user_id)
        who = await self.origin(context, str(event.get("channel") or user_id), user_id, person.name)
        interaction, ticket = await self.receive(
            event_delivery_id(event_id), who, HOME_REQUEST, {"home": user_id}
        )
        if ticket.verdict == "refused":  # the inbox could not be written (logged there)
            return
        if ticket.verdict != "new":
            # Slack redelivers an event it thinks was not acknowledged in time, and Bolt
            # does not dedupe: the inbox does, even across processes.
            retry = request.headers.get("x-slack-retry-num", ["?"])[0]
            reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
            log.info("event %s seen before (retry %s, %s); skipped", event_id, retry, reason)
            return
        replies = await self.process(ticket, interaction)
        due = await self.app.dispatcher.cards_due(who)
        await client.views_publish(user_id=user_id, view=render.home_view(replies, due))

    async def on_review_button(
        self, ack: AsyncAck, body: Body, action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """The App Home's Review button: a review, answered in the user's DM with StudyBot.
        Through the inbox like every interaction: a redelivered click starts nothing twice,
        and one a dead process acknowledged is replayed (its reply by DM: the App Home gives
        no response_url)."""
        user = body["user"]
        who = await self.origin(context, user["id"], user["id"], payload_name(user))
        key = action_delivery_id(user["id"], action)
        interaction, ticket = await self.receive(key, who, c.StartReview(), {"user": user["id"]})
        await ack()
        replies = await self.process(ticket, interaction)
        await self.deliver(replies, respond=None, channel=None, user=user["id"], interactive=True)


def command_key(request: AsyncBoltRequest) -> str:
    """A slash command carries no id of its own: its signed body and timestamp name it, so a
    replay of the same signed request (accepted for five minutes) is recognised."""
    stamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    digest = hashlib.sha256(f"{stamp}:{request.raw_body}".encode()).hexdigest()
    return f"command:{digest}"


def _single_refusal(replies: Sequence[Reply]) -> Notice | None:
    if len(replies) == 1 and isinstance(replies[0], Notice) and replies[0].tone is Tone.ERROR:
        return replies[0]
    return None
