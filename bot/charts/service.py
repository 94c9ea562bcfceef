"""Drawing off the event loop, cached by input: chart data in, an Image (or None) out."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot import messages as m
from bot.charts.data import BoardData, ChartData, ProgressData, RaceData
from bot.replies import Image

log = logging.getLogger(__name__)

# Images kept: a leaderboard asked for by a whole channel, or a tally retried, is drawn once.
CACHE_SIZE = 64


def cache_key(data: ChartData) -> str:
    """A digest of the chart's inputs: frozen records of plain values print the same when
    equal, and the kind of chart is part of the text."""
    return hashlib.sha256(repr(data).encode()).hexdigest()


def _draw(data: ChartData) -> bytes:
    from bot.charts.draw import draw  # matplotlib comes with it: only when drawing

    return draw(data)


class Charts:
    """Draws charts on one worker thread (matplotlib's settings are process-wide, so one
    drawing at a time; the event loop never waits on it) and keeps the last images drawn.

    A drawing that fails is logged once as a warning and gives None: the caller sends the
    text reply as it would without charts."""

    def __init__(
        self, drawer: Callable[[ChartData], bytes] = _draw, size: int = CACHE_SIZE
    ) -> None:
        self._drawer = drawer
        self._size = size
        self._cache: OrderedDict[str, Image] = OrderedDict()
        self._executor: ThreadPoolExecutor | None = None
        self.hits = 0
        self.misses = 0

    async def image(self, data: ChartData, filename: str) -> Image | None:
        key = cache_key(data)
        cached = self._cache.get(key)
        if cached is not None and cached.filename == filename:
            self._cache.move_to_end(key)
            self.hits += 1
            return cached
        self.misses += 1
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
        try:
            png = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._drawer, data
            )
        except Exception as exc:
            log.warning("chart %s not drawn, sending the text only: %r", filename, exc)
            return None
        made = Image(filename, png, alt_text(data), title(data))
        self._cache[key] = made
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return made

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def title(data: ChartData) -> str:
    """The chart's title, as drawn at its top."""
    if isinstance(data, ProgressData):
        return m.CHART_PROGRESS_TITLE.format(name=data.name)
    if isinstance(data, RaceData):
        return m.CHART_RACE_TITLE.format(label=data.label)
    return m.CHART_BOARD_TITLE.format(
        n=len(data.bars[:10]), scope=data.scope, period=data.period_label
    )


def alt_text(data: ChartData) -> str:
    """What the chart shows, in words and numbers."""
    if isinstance(data, ProgressData):
        return _progress_alt(data)
    if isinstance(data, RaceData):
        return _race_alt(data)
    return _board_alt(data)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _progress_alt(data: ProgressData) -> str:
    answered = sum(w.answered for w in data.weeks)
    correct = sum(w.correct for w in data.weeks)
    topics = ", ".join(
        f"{t.topic} {t.correct}/{t.answered} ({_share(t.correct, t.answered)})" for t in data.topics
    )
    text = m.CHART_PROGRESS_ALT.format(
        name=data.name,
        weeks=len(data.weeks),
        points=sum(w.points for w in data.weeks),
        correct=correct,
        answered=answered,
        accuracy=_share(correct, answered),
        week_points=data.weeks[-1].points if data.weeks else 0,
        topics=topics or m.CHART_NONE,
    )
    if data.retention is not None:
        reviewed = [p for p in data.retention if p.reviewed]
        retention = ", ".join(
            f"{p.label} {_share(p.recalled, p.reviewed)} of {p.reviewed}" for p in reviewed
        )
        text += m.CHART_RETENTION_ALT.format(retention=retention or m.CHART_NONE)
    return text


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _race_alt(data: RaceData) -> str:
    teams = "; ".join(f"{t.name} {_number(t.values[-1]) if t.values else '0'}" for t in data.teams)
    leader = data.teams[0] if data.teams else None
    return m.CHART_RACE_ALT.format(
        label=data.label,
        teams=teams or m.CHART_NONE,
        leader=leader.name if leader else m.CHART_NONE,
        value=_number(leader.values[-1]) if leader and leader.values else "0",
    )


def _board_alt(data: BoardData) -> str:
    rows = ", ".join(f"{b.rank}. {b.name} {_number(b.value)}" for b in data.bars[:10])
    return m.CHART_BOARD_ALT.format(
        scope=data.scope, period=data.period_label, rows=rows or m.CHART_NONE
    )
