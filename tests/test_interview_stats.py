"""Interview practice in the user's own stats: answers graded and key points made, no points."""

from __future__ import annotations

import json

from adapters.discord.render import render as discord_render
from adapters.slack import render as slack_render
from bot.bootstrap import App
from bot.plaintext import render
from bot.replies import StatsView
from tests.conftest import origin
from tests.helpers import say, text
from tests.test_interview import STRONG_FIXTURE

BOB = origin("Bob")
ANN = origin("Ann")
PARTIAL = (
    "The expected error decomposition splits it into bias squared, variance and noise. "
    "That is about all I remember of it from my statistics course years ago."
)
LINE = "interview practice: {n} answer(s) graded, {share} of key points made on average"


async def test_stats_show_interview_practice_and_the_boards_do_not(app: App) -> None:
    await say(app, BOB, "topics")  # Bob exists, with nothing graded yet
    assert "interview practice" not in await text(app, BOB, "stats")
    await say(app, BOB, "interview sample-stats 1")
    await say(app, BOB, "answer " + STRONG_FIXTURE)
    await say(app, BOB, "interview sample-stats 1")
    await say(app, BOB, "answer " + PARTIAL)
    [history] = await say(app, BOB, "interview history")
    scores = [row[1].split(" ")[0] for row in history.rows]  # type: ignore[attr-defined]
    covered = [tuple(map(int, s.split("/"))) for s in scores]
    share = sum(c / t for c, t in covered) / len(covered)
    assert len(covered) == 2 and covered[0] != covered[1]  # two different grades
    mine = await text(app, BOB, "stats")
    assert LINE.format(n=2, share=f"{share:.0%}") in mine
    assert "0 points" in mine  # interview scores are never points
    # Practice is private: Ann looking at Bob's stats does not see it.
    await say(app, ANN, "topics")
    assert "interview practice" not in await text(app, ANN, "stats Bob")
    assert "Bob" not in await text(app, ANN, "leaderboard users all")


def test_every_renderer_shows_the_practice_line() -> None:
    view = StatsView("Bob", 0, None, 0, 0, 0, 0, None, (), 3, 2 / 3)
    expected = "3 answer(s) graded, 67% of key points made on average"
    assert expected in render(view)
    embed = discord_render(view).embed
    assert [f.value for f in embed.fields if f.name == "Interview practice"] == [expected]
    assert expected in json.dumps([b.to_dict() for b in slack_render.blocks_for(view)])
    quiet = StatsView("Bob", 0, None, 0, 0, 0, 0, None, ())
    assert "Interview" not in render(quiet)
    assert all(f.name != "Interview practice" for f in discord_render(quiet).embed.fields)
    assert "Interview" not in json.dumps([b.to_dict() for b in slack_render.blocks_for(quiet)])
