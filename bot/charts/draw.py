"""The drawings: chart data in, PNG bytes out, on figures kept per kind (matplotlib lazily)."""

# Only matplotlib's object API is used (no pyplot state) on the Agg canvas: no display, no GUI
# toolkit. Each kind of chart has one figure, built on its first drawing and filled in place
# after that (sheet.py says why); a lock keeps the drawings one at a time.

from __future__ import annotations

import gc
import io
import threading
from typing import TYPE_CHECKING, Any

from bot import messages as m
from bot.charts import style
from bot.charts.data import BoardData, ChartData, ProgressData, RaceData
from bot.charts.sheet import (
    Bars,
    Labels,
    empty_note,
    figure,
    fixed,
    number,
    percent_axis,
    short,
    title,
    whole_ticks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

_LOCK = threading.Lock()
_SHEETS: dict[str, Progress | Race | Board] = {}


def draw(data: ChartData) -> bytes:
    """One chart as a PNG. Slow the first time in a process (matplotlib's import), and a
    little slower the first time for each kind (its figure is built)."""
    import matplotlib

    settings: Any = style.rc()  # matplotlib types the keys as literals
    kind = _kind(data)
    with _LOCK, matplotlib.rc_context(settings):
        sheet = _SHEETS.get(kind)
        built = sheet is None
        if sheet is None:
            sheet = _build(kind)
        try:
            sheet.fill(data)  # type: ignore[arg-type]  # the kind matches the data's type
            png = _png(sheet.fig)
        except Exception:
            _SHEETS.pop(kind, None)  # half filled: the next drawing builds it afresh
            raise
        _SHEETS[kind] = sheet
        if built:
            _settle()
    return png


def _kind(data: ChartData) -> str:
    if isinstance(data, ProgressData):
        return "progress" if data.retention is None else "progress+retention"
    return "race" if isinstance(data, RaceData) else "board"


def _build(kind: str) -> Progress | Race | Board:
    if kind.startswith("progress"):
        return Progress(retention=kind.endswith("retention"))
    return Race() if kind == "race" else Board()


def _settle() -> None:
    """After a figure's first drawing: collect once, then freeze what is alive (matplotlib's
    modules and font caches, the kept figure) out of the collector's sight, as
    bot/bootstrap.py does for the app once it is built."""
    # Why: matplotlib comes after that first freeze (imported with the first chart) and
    # brings about 60,000 tracked objects. A drawing allocates enough to set off
    # collections now and then, and a full one walks every tracked object that is not
    # frozen, in the middle of a drawing or of whatever the event loop is doing then: with
    # the collector off, the p99 of the drawings fell by half (docs/scaling.md). Frozen
    # objects are never collected: whatever of them later becomes cyclic garbage stays
    # (reference counting still frees the rest); collecting first keeps that to objects
    # really in use.
    gc.collect()
    gc.freeze()


def _png(fig: Figure) -> bytes:
    from PIL import Image  # a matplotlib dependency: imported with it, when drawing

    # The canvas's raw pixels (no bbox_inches="tight": exactly the figure's size), encoded
    # here as RGB rather than matplotlib's RGBA: the card is opaque, and that is a quarter
    # less data to filter and compress. Light compression: a tenth of the encoding time of
    # the default, and the file stays far under 1 MB.
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=style.DPI)
    size = (round(fig.bbox.width), round(fig.bbox.height))
    out = io.BytesIO()
    Image.frombuffer("RGBA", size, raw.getvalue(), "raw", "RGBA", 0, 1).convert("RGB").save(
        out, format="png", compress_level=1
    )
    return out.getvalue()


def _week_ticks(ax: Axes, labels: list[str]) -> None:
    ticks = range(0, len(labels), 2)  # every other week: 12 labels do not fit a thumbnail
    ax.set_xticks(list(ticks), [labels[i] for i in ticks], rotation=45, ha="right")
    ax.set_xlim(-0.6, len(labels) - 0.4)


def _show_axes(ax: Axes, shown: bool) -> None:
    """An axes with nothing to show keeps its frame and title but no ticks or grid."""
    ax.xaxis.set_visible(shown)
    ax.yaxis.set_visible(shown)


class Progress:
    """Personal progress: points and accuracy per week on top, accuracy by topic below,
    beside review retention per week when the player has review cards."""

    def __init__(self, retention: bool) -> None:
        self.fig = fig = figure(style.TALL)
        self._heading = fig.suptitle("")
        # Fixed margins, not a layout engine: constrained layout measures every label again
        # and doubles the drawing time; names are shortened instead so they fit the margins.
        top = fig.add_gridspec(1, 2, left=0.07, right=0.98, top=0.86, bottom=0.59, wspace=0.22)
        low = fig.add_gridspec(1, 2, left=0.25, right=0.98, top=0.44, bottom=0.12, wspace=0.3)

        self._points = fixed(fig.add_subplot(top[0, 0]))
        title(self._points, m.CHART_POINTS_WEEK)
        self._points.grid(axis="x", visible=False)
        whole_ticks(self._points, 4)
        self._point_bars = Bars(self._points, horizontal=False)

        self._accuracy = fixed(fig.add_subplot(top[0, 1]))
        title(self._accuracy, m.CHART_ACCURACY_WEEK)
        percent_axis(self._accuracy)
        self._accuracy.set_ylim(0, 1.05)
        (self._accuracy_line,) = self._accuracy.plot([], [], marker="o", color=style.PALETTE[2])

        self._topics = fixed(fig.add_subplot(low[0, 0] if retention else low[0, :]))
        title(self._topics, m.CHART_TOPICS)
        self._topics.grid(axis="y", visible=False)
        percent_axis(self._topics, "x")
        self._topics.set_xlim(0, 1.18)
        self._topic_bars = Bars(self._topics, horizontal=True, thickness=0.7)
        self._topic_counts = Labels(self._topics, style.LABEL_SIZE - 2)
        self._topics_empty = empty_note(self._topics)

        self._retention = None
        if retention:
            self._retention = fixed(fig.add_subplot(low[0, 1]))
            title(self._retention, m.CHART_RETENTION)
            percent_axis(self._retention)
            self._retention.set_ylim(0, 1.05)
            (self._retention_line,) = self._retention.plot(
                [], [], marker="o", color=style.PALETTE[4]
            )
            self._retention_empty = empty_note(self._retention)

    def fill(self, data: ProgressData) -> None:
        self._heading.set_text(m.CHART_PROGRESS_TITLE.format(name=data.name))
        labels = [w.label for w in data.weeks]
        points = [w.points for w in data.weeks]
        self._point_bars.show(points, [style.PALETTE[0]] * len(points))
        self._points.set_ylim(0, max(points, default=0) * 1.05 or 10)
        _week_ticks(self._points, labels)

        shown = [(i, w.accuracy) for i, w in enumerate(data.weeks) if w.accuracy is not None]
        # Weeks without answers are gaps, not zeros: a quiet week is not a week of mistakes.
        self._accuracy_line.set_data([i for i, _ in shown], [a for _, a in shown])
        _week_ticks(self._accuracy, labels)

        self._fill_topics(data)
        if self._retention is not None:
            self._fill_retention(data)

    def _fill_topics(self, data: ProgressData) -> None:
        ax, topics = self._topics, data.topics
        _show_axes(ax, bool(topics))
        self._topics_empty.set_visible(not topics)
        self._topic_bars.show([t.accuracy for t in topics], [style.PALETTE[5]] * len(topics))
        self._topic_counts.show(
            [(t.accuracy + 0.01, row, f"{t.correct}/{t.answered}") for row, t in enumerate(topics)]
        )
        ax.set_yticks(range(len(topics)), [short(t.topic) for t in topics])
        ax.set_ylim(max(len(topics), 1) - 0.4, -0.6)  # the first topic at the top, as in text

    def _fill_retention(self, data: ProgressData) -> None:
        weeks = data.retention or ()
        shown = [(i, p.retention) for i, p in enumerate(weeks) if p.retention is not None]
        ax = self._retention
        assert ax is not None  # only filled when built with the panel
        _show_axes(ax, bool(shown))
        self._retention_empty.set_visible(not shown)
        self._retention_line.set_data([i for i, _ in shown], [r for _, r in shown])
        _week_ticks(ax, [p.label for p in weeks])


class Race:
    """The team race: one line per team (the leader's thicker and on top), the leader named
    at its last point, the legend right of the plot in tally order so it covers no line."""

    def __init__(self) -> None:
        self.fig = fig = figure(style.WIDE)
        self._ax = ax = fixed(
            fig.add_subplot(fig.add_gridspec(left=0.09, right=0.77, top=0.86, bottom=0.08)[0, 0])
        )
        self._heading = fig.suptitle("")
        self._lines = [
            ax.plot(
                [],
                [],
                marker="o",
                color=colour,
                # The leader's line is drawn on top and thicker: it stands out in a thumbnail.
                linewidth=style.LINE_WIDTH * (1.4 if i == 0 else 1.0),
                zorder=3 if i == 0 else 2,
            )[0]
            for i, colour in enumerate(style.PALETTE[: style.MAX_LINES])
        ]
        self._leader = ax.annotate(
            "",
            (0, 0),
            xytext=(-8, 10),
            textcoords="offset points",
            fontweight="bold",
            color=style.PALETTE[0],
        )
        whole_ticks(ax, 5)
        ax.set_ylabel(m.CHART_RACE_AXIS)
        self._empty = empty_note(ax)
        self._legends: dict[int, Legend] = {}

    def _legend(self, n: int) -> Legend:
        """The legend of n teams, made once: a legend makes a copy of every line's sample and
        a text per team, hundreds of objects for the collector if made on each drawing."""
        from matplotlib.legend import Legend

        legend = self._legends.get(n)
        if legend is None:
            legend = Legend(
                self._ax,
                self._lines[:n],
                [""] * n,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                borderaxespad=0.0,
            )
            self._ax.add_artist(legend)
            self._legends[n] = legend
        return legend

    def fill(self, data: RaceData) -> None:
        ax = self._ax
        self._heading.set_text(m.CHART_RACE_TITLE.format(label=data.label))
        teams = data.teams[: style.MAX_LINES]
        for i, line in enumerate(self._lines):
            values = teams[i].values if i < len(teams) else ()
            line.set_visible(i < len(teams))
            line.set_data(range(len(values)), values)
        leader = teams[0] if teams and teams[0].values else None
        self._leader.set_visible(leader is not None)
        if leader is not None:
            last = len(leader.values) - 1
            self._leader.set_text(
                m.CHART_LEADER.format(name=short(leader.name), value=f"{leader.values[-1]:.1f}")
            )
            self._leader.xy = (last, leader.values[-1])
            self._leader.set_horizontalalignment("right" if last > 0 else "left")
        ax.set_xticks(range(len(data.days)), data.days)
        ax.set_xlim(-0.3, len(data.days) - 0.7)
        top = max((v for t in teams for v in t.values), default=0.0)
        ax.set_ylim(0, top * 1.15 or 10)  # room above the leader's label
        self._empty.set_visible(not teams)
        shown = self._legend(len(teams)) if teams else None
        for legend in self._legends.values():
            legend.set_visible(legend is shown)
        if shown is not None:
            for text, team in zip(shown.get_texts(), teams, strict=True):
                text.set_text(short(team.name, 14))


class Board:
    """The top 10 as horizontal bars, the first in the darker blue, each with its value."""

    def __init__(self) -> None:
        self.fig = fig = figure(style.WIDE)
        self._ax = ax = fixed(
            fig.add_subplot(fig.add_gridspec(left=0.25, right=0.97, top=0.88, bottom=0.12)[0, 0])
        )
        self._heading = fig.suptitle("")
        ax.grid(axis="y", visible=False)
        whole_ticks(ax, 5, "x")
        self._bars = Bars(ax, horizontal=True, thickness=0.7)
        self._values = Labels(ax, style.LABEL_SIZE - 1)
        self._empty = empty_note(ax)

    def fill(self, data: BoardData) -> None:
        ax = self._ax
        bars = data.bars[:10]
        self._heading.set_text(
            m.CHART_BOARD_TITLE.format(n=len(bars), scope=data.scope, period=data.period_label)
        )
        _show_axes(ax, bool(bars))
        self._empty.set_visible(not bars)
        self._bars.show(
            [b.value for b in bars],
            [style.PALETTE[0] if b.rank == 1 else style.PALETTE[5] for b in bars],
        )
        ax.set_yticks(range(len(bars)), [f"{b.rank}. {short(b.name)}" for b in bars])
        ax.set_ylim(max(len(bars), 1) - 0.4, -0.6)
        top = max((b.value for b in bars), default=1.0) or 1.0
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel(
            m.CHART_BOARD_AXIS_TEAMS if data.scope == "teams" else m.CHART_BOARD_AXIS_USERS
        )
        self._values.show(
            [(b.value + top * 0.01, row, number(b.value)) for row, b in enumerate(bars)]
        )
