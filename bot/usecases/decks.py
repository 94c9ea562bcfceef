"""`deck`: a workspace's own decks (import, list, show, export, delete) and topics on or off."""

from __future__ import annotations

from collections import Counter

from bot import commands as c
from bot import messages as m
from bot.deck_import import (
    IMPORT_MAX_BYTES,
    ImportRejected,
    detect_format,
    export_toml,
    name_problem,
    parse_import,
)
from bot.identity import Origin, Platform
from bot.records import DeckRecord
from bot.replies import FileView, Image, Notice, Reply, TableView, Tone
from bot.usecases.context import Actor, Context, UserError, ok, require_admin
from bot.workspace_bank import TOPIC, deck_questions, items_json, local_id

# How many problems a refusal lists before it says how many more there are.
PROBLEMS_SHOWN = 20
SHOW_MAX = 25


async def import_deck(ctx: Context, cmd: c.ImportDeck, origin: Origin) -> list[Reply]:
    actor = await ctx.actor(origin)
    require_admin(actor, "import a deck")
    rule = name_problem(cmd.name)
    if rule is not None:
        raise UserError(m.DECK_NAME_RULE.format(name=m.clip(cmd.name), rule=rule))
    if _is_builtin(ctx, cmd.name):
        raise UserError(m.DECK_NAME_TAKEN.format(name=cmd.name))
    if cmd.text is None:
        console = origin.place.platform is Platform.CONSOLE
        raise UserError(m.DECK_NO_FILE_CONSOLE if console else m.DECK_NO_FILE)
    size = len(cmd.text.encode("utf-8"))
    if size > IMPORT_MAX_BYTES:
        raise UserError(m.DECK_TOO_BIG.format(size=size, limit=IMPORT_MAX_BYTES))
    try:
        deck = parse_import(cmd.name, cmd.filename, cmd.text)
    except ImportRejected as exc:
        shown = exc.problems[:PROBLEMS_SHOWN]
        more = len(exc.problems) - len(shown)
        head = m.DECK_REJECTED.format(
            n=len(exc.problems), name=cmd.name, fmt=detect_format(cmd.filename, cmd.text)
        )
        lines = [head, *(f"- {p}" for p in shown)]
        if more:
            lines.append(m.DECK_REJECTED_MORE.format(n=more))
        return [Notice("\n".join(lines), Tone.ERROR)]
    record = DeckRecord(
        id=0,
        workspace=actor.workspace,
        name=deck.name,
        title=deck.title,
        format=deck.format,
        question_count=len(deck.questions),
        enabled=True,
        created_by=actor.user.display_name[:200],
        created_at=ctx.clock.now(),
        items=items_json(deck.questions),
        source=cmd.text,
    )
    _, replaced = await ctx.stores.decks.save_deck(record)
    done = m.DECK_REPLACED if replaced else m.DECK_IMPORTED
    return [ok(done.format(name=deck.name, fmt=deck.format, n=len(deck.questions)))]


def _is_builtin(ctx: Context, name: str) -> bool:
    return name in ctx.bank.decks or any(name in d.aliases for d in ctx.bank.decks.values())


async def list_decks(ctx: Context, cmd: c.ListDecks, origin: Origin) -> list[Reply]:
    actor = await _admin(ctx, origin, "list the decks")
    _, decks, disabled = await ctx.stores.decks.bank_parts(actor.workspace)
    off = disabled.get(TOPIC, set())
    rows = [
        (
            d.name,
            m.DECK_LIST_ROW.format(
                kind="workspace deck",
                state="on" if d.enabled else "off",
                n=d.question_count,
                extra=f" ({d.format}, {d.title})" if d.title != d.name else f" ({d.format})",
            ),
        )
        for d in decks
    ]
    rows += [
        (
            topic,
            m.DECK_LIST_ROW.format(
                kind="built-in",
                state="off" if topic in off else "on",
                n=len(deck.questions),
                extra="",
            ),
        )
        for topic, deck in sorted(ctx.bank.decks.items())
    ]
    return [TableView(m.DECK_LIST_TITLE, tuple(rows), m.DECK_LIST_FOOTER)]


async def deck_action(ctx: Context, cmd: c.DeckAction, origin: Origin) -> list[Reply]:
    actor = await _admin(ctx, origin, f"{cmd.action} a deck")
    decks = ctx.stores.decks
    if cmd.action in ("enable", "disable"):
        on = cmd.action == "enable"
        if _is_builtin(ctx, cmd.name) and cmd.name in ctx.bank.decks:
            changed = await decks.set_disabled(
                actor.workspace, TOPIC, cmd.name, not on, actor.user.display_name, ctx.clock.now()
            )
        else:
            found = await decks.get_deck(actor.workspace, cmd.name)
            if found is None:
                raise UserError(m.DECK_UNKNOWN.format(name=m.clip(cmd.name)))
            changed = found.enabled != on and await decks.set_deck_enabled(
                actor.workspace, cmd.name, on
            )
        if not changed:
            state = "in rotation" if on else "out of rotation"
            return [Notice(m.DECK_ALREADY.format(name=cmd.name, state=state))]
        return [ok((m.DECK_ENABLED if on else m.DECK_DISABLED).format(name=cmd.name))]
    builtin = ctx.bank.decks.get(cmd.name)
    if cmd.action == "delete":
        if builtin is not None:
            raise UserError(m.DECK_BUILTIN_DELETE.format(name=cmd.name))
        if not await decks.delete_deck(actor.workspace, cmd.name):
            raise UserError(m.DECK_UNKNOWN_DECK.format(name=m.clip(cmd.name)))
        return [ok(m.DECK_DELETED.format(name=cmd.name))]
    if builtin is not None:
        # A built-in topic shows and exports like an imported deck: its TOML is the best
        # start for a deck of one's own.
        name, title, questions = builtin.topic, builtin.title, builtin.questions
        own_ids = questions  # built-in ids carry no workspace prefix
        footer = m.DECK_SHOW_BUILTIN.format(n=len(questions), name=name)
    else:
        record = await decks.get_deck(actor.workspace, cmd.name)
        if record is None:
            raise UserError(m.DECK_UNKNOWN_DECK.format(name=m.clip(cmd.name)))
        name, title, questions = record.name, record.title, deck_questions(record)
        own_ids = tuple(q.model_copy(update={"id": local_id(q.id)}) for q in questions)
        footer = m.DECK_SHOW_FOOTER.format(
            n=len(questions),
            fmt=record.format,
            by=record.created_by,
            on=f"{record.created_at:%Y-%m-%d}",
            name=name,
        )
    if cmd.action == "export":
        text = export_toml(name, title, own_ids)
        data = text.encode()
        kinds = Counter(q.type.value for q in questions)
        summary = m.DECK_EXPORT.format(
            name=name,
            n=len(questions),
            counts=", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())),
            kb=max(1, round(len(data) / 1024)),
        )
        alt = m.DECK_EXPORT_ALT.format(name=name, title=title, n=len(questions))
        # A file where the platform takes one (one long message is hard to copy whole);
        # its text goes instead where the file cannot.
        document = Image(f"{name}.toml", data, alt, title)
        return [FileView(summary, document, text)]
    rows = tuple(
        (q.id, f"{q.type.value} · {q.difficulty.value} · {m.clip(q.prompt, 80)}")
        for q in questions[:SHOW_MAX]
    )
    if len(questions) > SHOW_MAX:  # say the list is cut, not the deck
        footer = m.DECK_SHOW_FIRST.format(shown=SHOW_MAX) + footer
    return [TableView(m.DECK_SHOW_TITLE.format(name=name, title=title), rows, footer)]


async def _admin(ctx: Context, origin: Origin, what: str) -> Actor:
    actor = await ctx.actor(origin)
    require_admin(actor, what)
    return actor
