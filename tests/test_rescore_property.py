"""Property: after `question rekey` or `question void`, every board, streak and stat equals a
from-scratch recomputation of the same play with the corrected key (written here, apart from
the bot's own scoring code)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import App, ManualClock
from bot.identity import PlaceRef, Platform
from bot.replies import Notice, QuestionCard, Tone
from bot.storage.board_keys import board_totals as bt
from bot.storage.tables import answers, point_events, rounds
from bot.usecases import daily
from tests.conftest import origin
from tests.helpers import say

QUESTIONS = {"ss-median": ("easy", 4, 1), "sm-relu": ("hard", 3, 2)}  # level, choices, key
BASE = {"easy": 10, "medium": 20, "hard": 30}  # the README's daily points
PG_EXAMPLES = 4
_runs: Counter[str] = Counter()


@dataclass(frozen=True)
class PlayedRound:
    gap_days: int
    channel: str
    question: str
    choices: tuple[int | None, ...]  # per player: the original option index, None = no answer
    switch: tuple[int, int | None] | None  # (player, team or None) just before the round


@dataclass(frozen=True)
class Scenario:
    players: int
    teams: int
    team_of: tuple[int | None, ...]
    rounds: tuple[PlayedRound, ...]
    target: int
    action: str  # void | rekey
    new_key: int
    after: PlayedRound | None  # a round played once the fix is in


@st.composite
def played_round(draw: st.DrawFn, players: int, teams: int) -> PlayedRound:
    question = draw(st.sampled_from(sorted(QUESTIONS)))
    _, n, key = QUESTIONS[question]
    # Right answers often (streaks need runs of them), wrong ones and no answer too.
    answer = st.just(key) | st.none() | st.integers(0, n - 1)
    return PlayedRound(
        draw(st.integers(1, 12)),
        draw(st.sampled_from(["c1", "c2"])),
        question,
        tuple(draw(st.lists(answer, min_size=players, max_size=players))),
        draw(
            st.none()
            | st.tuples(st.integers(0, players - 1), st.none() | st.integers(0, max(teams - 1, 0)))
        )
        if teams
        else None,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    players = draw(st.integers(2, 5))
    teams = draw(st.integers(0, 2))
    team_of = tuple(
        draw(st.none() | st.integers(0, teams - 1)) if teams else None for _ in range(players)
    )
    rounds = tuple(draw(st.lists(played_round(players, teams), min_size=1, max_size=5)))
    return Scenario(
        players,
        teams,
        team_of,
        rounds,
        len(rounds) - 1 - draw(st.integers(0, len(rounds) - 1)),  # the latest round first
        draw(st.sampled_from(["void", "rekey"])),
        draw(st.integers(0, 3)),
        draw(st.none() | played_round(players, teams)),
    )


def expected(
    s: Scenario,
    played: list[tuple[int, dt.date, PlayedRound, list[int | None]]],
    fix: dict[int, int | None],
) -> tuple[
    dict[tuple[str, str, int], tuple[int, int, int, int]], dict[int, tuple[int, int, int, int]]
]:
    """From scratch: `played` is (round id, day, round, team per player at the time) in close
    order; `fix` maps the fixed round to its new key (None: voided). Returns the totals rows
    (points, correct, answered, active) and per player (answered, correct, streak, best)."""
    rows: dict[tuple[str, str, int], list[int]] = {}
    active: set[tuple[str, int, int]] = set()
    streak = [0] * s.players
    best = [0] * s.players
    answered = [0] * s.players
    right = [0] * s.players
    for round_id, day, rnd, team_at in played:
        if round_id in fix and fix[round_id] is None:
            continue  # voided: as if never played
        level, _, key = QUESTIONS[rnd.question]
        key = fix.get(round_id, key) if round_id in fix else key
        week = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
        month = f"{day.year}-{day.month:02d}"
        for p, choice in enumerate(rnd.choices):
            if choice is None:
                streak[p] = 0
                continue
            ok = choice == key
            streak[p] = streak[p] + 1 if ok else 0
            best[p] = max(best[p], streak[p])
            points = BASE[level] + min(2 * max(streak[p] - 1, 0), 10) if ok else 0
            answered[p] += 1
            right[p] += ok
            subjects = [("user", p)]
            if team_at[p] is not None:
                subjects.append(("team", team_at[p]))
            for period in ("all", week, month):
                for kind, subject in subjects:
                    row = rows.setdefault((period, kind, subject), [0, 0, 0, 0])
                    row[0] += points
                    row[1] += ok
                    row[2] += 1
                    if kind == "team":
                        active.add((period, subject, p))
    for period, team, _ in active:
        rows[(period, "team", team)][3] += 1
    players = {p: (answered[p], right[p], streak[p], best[p]) for p in range(s.players)}
    return {k: (v[0], v[1], v[2], v[3]) for k, v in rows.items()}, players


async def play(
    app: App, ws: str, rnd: PlayedRound, names: list[str], clock: ManualClock
) -> tuple[int, dt.date, dict[int, str]]:
    """Open, answer and close one round; returns its id, day and shown label per option."""
    clock.advance(dt.timedelta(days=rnd.gap_days))
    place = PlaceRef(Platform.CONSOLE, ws, rnd.channel)
    opened = await daily.open_daily_round(app.ctx, place, clock.now(), rnd.question)
    assert opened is not None
    found, card = opened
    assert isinstance(card, QuestionCard)
    labels = {o.index: o.label for o in card.options}
    for p, choice in enumerate(rnd.choices):
        if choice is not None:
            who = origin(names[p], channel=rnd.channel, workspace=ws)
            [reply] = await say(app, who, f"answer {labels[choice]}")
            assert isinstance(reply, Notice) and reply.tone is Tone.SUCCESS, reply
    clock.advance(dt.timedelta(minutes=5))
    await app.stores.answers.flush()
    assert await daily.close_daily_round(app.ctx, found.id, clock.now()) is not None
    return found.id, found.local_date, labels


async def stored(app: App, ws: str) -> dict[tuple[str, str, int], tuple[int, int, int, int]]:
    async with app.db.read() as conn:
        rows = await conn.execute(sa.select(bt).where(bt.c.workspace == ws))
        return {
            (r.period, r.kind, r.subject_id): (r.points, r.correct, r.answered, r.active)
            for r in rows
        }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(s=scenarios())
async def test_rescoring_equals_a_recomputation_from_scratch(
    app: App, clock: ManualClock, backend: str, s: Scenario
) -> None:
    _runs[backend] += 1
    if backend == "postgres" and _runs[backend] > PG_EXAMPLES:
        return  # each PostgreSQL example costs a second: a few of them, the rest on SQLite
    ws = f"prop{_runs[backend]}"
    admin = origin("Admin", admin=True, channel="c1", workspace=ws)
    names = [f"p{i}" for i in range(s.players)]
    team_ids: list[int] = []
    for t in range(s.teams):
        await say(app, admin, f"team create T{t}")
    for t in range(s.teams):
        team = await app.stores.teams.find_team(
            origin(names[0], workspace=ws).place.workspace_key, f"T{t}"
        )
        assert team is not None
        team_ids.append(team.id)
    team_of = list(s.team_of)

    async def join(p: int, t: int | None) -> None:
        who = origin(names[p], channel="c1", workspace=ws)
        await say(app, who, "team leave")
        if t is not None:
            await say(app, who, f"team join T{t}")
        team_of[p] = t

    for p, t in enumerate(team_of):
        await join(p, t)
    played: list[tuple[int, dt.date, PlayedRound, list[int | None]]] = []
    labels: dict[int, dict[int, str]] = {}

    async def run(rnd: PlayedRound) -> None:
        if rnd.switch is not None:
            await join(*rnd.switch)
        round_id, day, shown = await play(app, ws, rnd, names, clock)
        labels[round_id] = shown
        played.append(
            (round_id, day, rnd, [team_ids[t] if t is not None else None for t in team_of])
        )

    for rnd in s.rounds:
        await run(rnd)
    target_id, _, target, _ = played[s.target]
    fix: dict[int, int | None]
    if s.action == "void":
        [done] = await say(app, admin, f"question void {target_id}")
        fix = {target_id: None}
    else:
        new_key = s.new_key % QUESTIONS[target.question][1]
        [done] = await say(app, admin, f"question rekey {target_id} {labels[target_id][new_key]}")
        fix = {target_id: new_key}
        if new_key == QUESTIONS[target.question][2]:
            assert isinstance(done, Notice) and "already" in done.text
    assert isinstance(done, Notice), done
    if s.after is not None:
        await run(s.after)

    want, players = expected(s, played, fix)
    users = {p: (await app.stores.users.find_user(ws_key(ws), names[p])) for p in range(s.players)}
    uid = {p: u.id for p, u in users.items() if u is not None}
    want_rows = {
        (period, kind, uid[subject] if kind == "user" else subject): value
        for (period, kind, subject), value in want.items()
    }
    assert await stored(app, ws_key(ws)) == want_rows
    assert await app.stores.boards.counter_drift(ws_key(ws)) == {}
    given = sum(c is not None for _, _, rnd, _ in played for c in rnd.choices)
    assert await events_unlike_answers(app, ws_key(ws)) == (given, [])
    for period in {k[0] for k in want_rows}:
        board = await app.stores.boards.top_users(ws_key(ws), period, 100)
        ranked = sorted(
            (
                (v[0], v[1], k[2])
                for k, v in want_rows.items()
                if k[0] == period and k[1] == "user" and v[0] > 0
            ),
            key=lambda r: (-r[0], -r[1], r[2]),
        )
        assert [(e.subject_id, e.points, e.correct, e.rank) for e in board] == [
            (i, pts, ok, n) for n, (pts, ok, i) in enumerate(ranked, start=1)
        ]
    for p, (n, ok, streak, best) in players.items():
        if p not in uid:
            assert n == 0
            continue
        got = await app.stores.boards.user_stats(uid[p])
        assert (got.answered, got.correct, got.current_streak, got.best_streak) == (
            n,
            ok,
            streak,
            best,
        )


async def events_unlike_answers(app: App, ws: str) -> tuple[int, list[tuple[object, ...]]]:
    """The workspace's answers to rounds, and those whose point event does not hold their
    points and verdict (or, in a voided round, still exists): what a rescore's staged changes
    rest on (it takes an event's old values from its answer's)."""
    e = point_events
    on = (e.c.round_id == answers.c.round_id) & (e.c.user_id == answers.c.user_id)
    async with app.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(
                    answers.c.points, answers.c.correct, e.c.points, e.c.correct, rounds.c.voided_at
                )
                .select_from(
                    answers.join(rounds, rounds.c.id == answers.c.round_id).outerjoin(e, on)
                )
                .where(rounds.c.workspace == ws)
            )
        ).all()
    unlike = [
        tuple(r)
        for r in rows
        if (r[2], r[3]) != ((None, None) if r[4] is not None else (r[0], r[1]))
    ]
    return len(rows), unlike


def ws_key(ws: str) -> str:
    return origin("x", workspace=ws).place.workspace_key
