"""The asker's rank (board and stats) equals a brute-force rank of the stored totals on random
play, with players spread over several tie blocks of ids, through closes, rescoring (void and
rekey), forgetme and team moves, on both databases."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from bot.bootstrap import App, ManualClock
from bot.replies import Notice
from bot.storage.board_keys import board_totals as bt
from bot.storage.tables import TIE_BLOCK, users
from tests.conftest import origin
from tests.helpers import say
from tests.test_rescore_property import QUESTIONS, PlayedRound, play, ws_key

TEAMS = 2


async def jump_ids(app: App, to: int) -> None:
    """The next player created gets id `to` + 1: a placeholder user in another workspace
    holds `to` (SQLite's next rowid is the largest plus one), and PostgreSQL's sequence is
    moved there too."""
    async with app.db.write() as conn:
        await conn.execute(
            users.insert().values(
                id=to,
                workspace="pad",
                external_id=f"pad{to}",
                display_name=f"pad{to}",
                name_key=f"pad{to}",
                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )
        if not app.db.sqlite:
            await conn.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('users', 'id'), {to})")
            )


async def brute_ranks(app: App, ws: str) -> dict[tuple[str, int], tuple[int, int, int]]:
    """(period, player) -> (rank, points, correct), sorted here from every user totals row."""
    async with app.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(bt).where(bt.c.workspace == ws, bt.c.kind == "user", bt.c.points > 0)
            )
        ).all()
    out: dict[tuple[str, int], tuple[int, int, int]] = {}
    for period in {r.period for r in rows}:
        ranked = sorted(
            (r for r in rows if r.period == period),
            key=lambda r: (-r.points, -r.correct, r.subject_id),
        )
        for n, r in enumerate(ranked, start=1):
            out[(period, r.subject_id)] = (n, r.points, r.correct)
    return out


async def check(app: App, ws: str, ids: list[int]) -> None:
    boards = app.stores.boards
    assert await boards.counter_drift(ws) == {}
    want = await brute_ranks(app, ws)
    periods = {p for p, _ in want} | {"all"}
    for period in sorted(periods):
        for user_id in ids:
            _, mine = await boards.user_board(ws, period, user_id, 3)
            got = None if mine is None else (mine.rank, mine.points, mine.correct)
            assert got == want.get((period, user_id)), (period, user_id)
    for user_id in ids:
        _, standing, _ = await boards.stats_card(ws, user_id)
        got = None if standing is None else (standing.rank, standing.points, standing.correct)
        assert got == want.get(("all", user_id)), user_id


def random_round(rng: random.Random, players: int) -> PlayedRound:
    question = rng.choice(sorted(QUESTIONS))
    _, n, key = QUESTIONS[question]
    # Mostly the key: big ties on (points, correct), as on a board's first round.
    choices = tuple(rng.choice([key, key, key, None, rng.randrange(n)]) for _ in range(players))
    return PlayedRound(rng.randint(1, 3), "c1", question, choices, None)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_asker_rank_in_a_tie_equals_a_brute_force_rank(
    app: App, clock: ManualClock, seed: int
) -> None:
    rng = random.Random(seed)
    ws = f"ties{seed}"
    key = ws_key(ws)
    admin = origin("Admin", admin=True, channel="c1", workspace=ws)
    for t in range(TEAMS):
        await say(app, admin, f"team create T{t}")
    names = [f"p{i}" for i in range(14)]
    # Ids spread over four blocks, several players in each, the block edges included.
    ids: list[int] = []
    for i, name in enumerate(names):
        if i % 4 == 0:
            await jump_ids(app, (i // 4 + 1) * TIE_BLOCK - rng.choice([1, 2, 300]))
        await say(app, origin(name, channel="c1", workspace=ws), "stats")
        found = await app.stores.users.find_user(key, name)
        assert found is not None
        ids.append(found.id)
    assert len({i // TIE_BLOCK for i in ids}) >= 3, ids
    forgotten: set[int] = set()
    rounds: list[tuple[int, PlayedRound, dict[int, str]]] = []
    for step in range(9):
        live = [p for p in range(len(names)) if p not in forgotten]
        action = "round" if step < 3 else rng.choice(["round", "round", "fix", "forget", "team"])
        if action == "round":
            rnd = random_round(rng, len(names))
            rnd = PlayedRound(
                rnd.gap_days,
                rnd.channel,
                rnd.question,
                tuple(c if p in live else None for p, c in enumerate(rnd.choices)),
                None,
            )
            round_id, _, labels = await play(app, ws, rnd, names, clock)
            rounds.append((round_id, rnd, labels))
        elif action == "fix":
            round_id, rnd, labels = rng.choice(rounds)
            if rng.random() < 0.5:
                [done] = await say(app, admin, f"question void {round_id}")
            else:
                new = rng.randrange(QUESTIONS[rnd.question][1])
                [done] = await say(app, admin, f"question rekey {round_id} {labels[new]}")
            assert isinstance(done, Notice), done
        elif action == "forget" and len(live) > 4:
            p = rng.choice(live)
            who = origin(names[p], channel="c1", workspace=ws)
            await say(app, who, "forgetme confirm")
            forgotten.add(p)
            assert await app.stores.users.find_user(key, names[p]) is None
        else:
            who = origin(names[rng.choice(live)], channel="c1", workspace=ws)
            await say(app, who, "team leave")
            await say(app, who, f"team join T{rng.randrange(TEAMS)}")
        await check(app, key, [ids[p] for p in range(len(names)) if p not in forgotten])
