"""Help and topics: what the bot can do and what it can ask about."""

from __future__ import annotations

from bot import commands as c
from bot import messages as m
from bot.catalog import BY_NAME, CATALOG
from bot.identity import Origin
from bot.replies import HelpLine, HelpView, Reply, TableView
from bot.usecases.context import Context

# Commands that take a topic: their help lists the workspace's topics.
TOPIC_COMMANDS = frozenset({"quiz", "interview", "config", "deck"})


async def show_help(ctx: Context, cmd: c.ShowHelp, origin: Origin) -> list[Reply]:
    if cmd.command:
        entry = BY_NAME[cmd.command]
        lines = [HelpLine(entry.usage, entry.summary, entry.admin)]
        lines += [
            HelpLine(
                # An optional argument in brackets, as the usage lines write it.
                " ".join(
                    [
                        entry.name,
                        s.name,
                        *(a.name.upper() if a.required else f"[{a.name.upper()}]" for a in s.args),
                    ]
                ),
                s.help,
                s.admin,
            )
            for s in entry.subs
        ]
        lines += [HelpLine(e, "example") for e in entry.examples]
        footer = ""
        if entry.name in TOPIC_COMMANDS:
            # The topics of this workspace: built-in ones it kept and its own decks.
            bank = await ctx.bank_for(origin.place.workspace_key)
            footer = m.HELP_TOPICS.format(topics=", ".join(bank.topics))
        return [HelpView(f"{m.HELP_TITLE}: {entry.name}", tuple(lines), footer)]
    overview = tuple(
        HelpLine(e.usage if not e.subs else f"{e.name} ...", e.summary, e.admin) for e in CATALOG
    )
    return [HelpView(m.HELP_TITLE, overview, m.HELP_FOOTER)]


async def topic_titles(ctx: Context, workspace: str) -> list[tuple[str, str]]:
    """(slug, title) of every topic the workspace sees, built-in and its own decks."""
    bank = await ctx.bank_for(workspace)
    return [(topic, bank.decks[topic].title) for topic in bank.topics]


async def show_topics(ctx: Context, cmd: c.ShowTopics, origin: Origin) -> list[Reply]:
    # No user row is written for a look at the topics; the workspace's bank is enough.
    bank = await ctx.bank_for(origin.place.workspace_key)
    rows = []
    for topic in bank.topics:
        deck = bank.decks[topic]
        auto = sum(1 for q in deck.questions if q.auto_gradable)
        rows.append(
            (topic, m.TOPICS_ROW.format(title=deck.title, questions=len(deck.questions), auto=auto))
        )
    n = sum(len(d.questions) for d in bank.decks.values())
    return [TableView(m.TOPICS_TITLE, tuple(rows), m.TOPICS_FOOTER.format(n=n))]
