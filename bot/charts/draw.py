"""The drawings: chart data in, PNG bytes out, with matplotlib imported lazily."""

# Only matplotlib's object API is used (no pyplot state) on the Agg canvas: no display, no GUI
# toolkit, and nothing shared between drawings but the rc settings applied around each one.

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from bot import messages as m
from bot.charts import style
from bot.charts.data import BoardData, ChartData, ProgressData, RaceData

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def draw(data: ChartData) -> bytes:
    """One chart as a PNG. Slow the first time in a process (matplotlib's import)."""
    import matplotlib

    settings: Any = style.rc()  # matplotlib types the keys as literals
    with matplotlib.rc_context(settings):
        if isinstance(data, ProgressData):
            fig = _progress(data)
        elif isinstance(data, RaceData):
            fig = _race(data)
        else:
            fig = _board(data)
        return _png(fig)


def _figure(size: tuple[float, float]) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=style.DPI, layout=None)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    # No bbox_inches="tight": the image keeps exactly the figure's size in pixels.
    # Light compression: a tenth of the encoding time, and the file stays far under 1 MB.
    fig.savefig(
        out,
        format="png",
        dpi=style.DPI,
        metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )
    return out.getvalue()


def _title(ax: Axes, text: str) -> None:
    # Plain text above the axes rather than set_title: matplotlib places a title by measuring
    # every tick label on each draw, a third of a chart's drawing time.
    ax.text(
        0,
        1.04,
        text,
        transform=ax.transAxes,
        fontsize=style.LABEL_SIZE + 1,
        fontweight="bold",
        va="bottom",
    )


def _ticks(ax: Axes, n: int = 4) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(n, integer=True))


def _short(name: str, limit: int = 20) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _percent_axis(ax: Axes) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.set_ylim(0, 1.05)
    ax.set_yticks([0, 0.5, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _progress(data: ProgressData) -> Figure:
    fig = _figure(style.TALL)
    fig.suptitle(m.CHART_PROGRESS_TITLE.format(name=data.name))
    # Fixed margins, not a layout engine: constrained layout measures every label again and
    # doubles the drawing time; names are shortened instead so they fit the margins.
    top = fig.add_gridspec(1, 2, left=0.07, right=0.98, top=0.86, bottom=0.59, wspace=0.22)
    low = fig.add_gridspec(1, 2, left=0.25, right=0.98, top=0.44, bottom=0.12, wspace=0.3)
    labels = [w.label for w in data.weeks]
    ticks = range(0, len(labels), 2)  # every other week: 12 labels do not fit a thumbnail

    points = fig.add_subplot(top[0, 0])
    points.bar(range(len(labels)), [w.points for w in data.weeks], color=style.PALETTE[0])
    _title(points, m.CHART_POINTS_WEEK)
    points.set_xticks(list(ticks), [labels[i] for i in ticks], rotation=45, ha="right")
    points.grid(axis="x", visible=False)
    _ticks(points)

    accuracy = fig.add_subplot(top[0, 1])
    shown = [(i, w.accuracy) for i, w in enumerate(data.weeks) if w.accuracy is not None]
    # Weeks without answers are gaps, not zeros: a quiet week is not a week of mistakes.
    accuracy.plot([i for i, _ in shown], [a for _, a in shown], marker="o", color=style.PALETTE[2])
    _title(accuracy, m.CHART_ACCURACY_WEEK)
    accuracy.set_xlim(-0.5, len(labels) - 0.5)
    accuracy.set_xticks(list(ticks), [labels[i] for i in ticks], rotation=45, ha="right")
    _percent_axis(accuracy)

    topics = fig.add_subplot(low[0, 0] if data.retention is not None else low[0, :])
    _topics(topics, data)
    if data.retention is not None:
        _retention(fig.add_subplot(low[0, 1]), data)
    return fig


def _topics(ax: Axes, data: ProgressData) -> None:
    _title(ax, m.CHART_TOPICS)
    if not data.topics:
        _empty(ax)
        return
    names = [_short(t.topic) for t in data.topics]
    values = [t.accuracy for t in data.topics]
    rows = range(len(names))
    ax.barh(rows, values, color=style.PALETTE[5], height=0.7)
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()  # the first topic at the top, as in the text
    ax.set_xlim(0, 1.18)
    ax.grid(axis="y", visible=False)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks([0, 0.5, 1.0])  # few ticks: each is several objects to lay out and draw
    for row, topic in zip(rows, data.topics, strict=True):
        ax.text(
            topic.accuracy + 0.01,
            row,
            f"{topic.correct}/{topic.answered}",
            va="center",
            fontsize=style.LABEL_SIZE - 2,
        )


def _retention(ax: Axes, data: ProgressData) -> None:
    _title(ax, m.CHART_RETENTION)
    points = [
        (i, p.retention) for i, p in enumerate(data.retention or ()) if p.retention is not None
    ]
    if not points:
        _empty(ax)
        return
    labels = [p.label for p in data.retention or ()]
    ax.plot([i for i, _ in points], [r for _, r in points], marker="o", color=style.PALETTE[4])
    ticks = range(0, len(labels), 2)
    ax.set_xticks(list(ticks), [labels[i] for i in ticks], rotation=45, ha="right")
    _percent_axis(ax)


def _empty(ax: Axes) -> None:
    ax.text(
        0.5,
        0.5,
        m.CHART_NO_DATA,
        ha="center",
        va="center",
        color=style.MUTED,
        transform=ax.transAxes,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _race(data: RaceData) -> Figure:
    fig = _figure(style.WIDE)
    # The legend sits right of the plot, in tally order, so it never covers a line.
    ax = fig.add_subplot(fig.add_gridspec(left=0.09, right=0.77, top=0.86, bottom=0.08)[0, 0])
    fig.suptitle(m.CHART_RACE_TITLE.format(label=data.label))
    teams = data.teams[: style.MAX_LINES]
    for i, team in enumerate(teams):
        colour = style.PALETTE[i % len(style.PALETTE)]
        days = range(len(team.values))
        # The leader's line is drawn on top and thicker, so it stands out in a thumbnail.
        width = style.LINE_WIDTH * (1.4 if i == 0 else 1.0)
        ax.plot(
            days,
            team.values,
            marker="o",
            color=colour,
            linewidth=width,
            label=_short(team.name, 14),
            zorder=3 if i == 0 else 2,
        )
    if teams and teams[0].values:
        leader = teams[0]
        last = len(leader.values) - 1
        ax.annotate(
            m.CHART_LEADER.format(name=_short(leader.name), value=f"{leader.values[-1]:.1f}"),
            (last, leader.values[-1]),
            xytext=(-8, 10),
            textcoords="offset points",
            ha="right" if last > 0 else "left",
            fontweight="bold",
            color=style.PALETTE[0],
        )
    ax.set_xticks(range(len(data.days)), data.days)
    ax.set_xlim(-0.3, len(data.days) - 0.7)
    ax.set_ylim(bottom=0)
    ax.margins(y=0.18)  # room above the leader's label
    _ticks(ax, 5)
    ax.set_ylabel(m.CHART_RACE_AXIS)
    if teams:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    else:
        _empty(ax)
    return fig


def _board(data: BoardData) -> Figure:
    fig = _figure(style.WIDE)
    ax = fig.add_subplot(fig.add_gridspec(left=0.25, right=0.97, top=0.88, bottom=0.12)[0, 0])
    bars = data.bars[:10]
    fig.suptitle(
        m.CHART_BOARD_TITLE.format(n=len(bars), scope=data.scope, period=data.period_label)
    )
    rows = range(len(bars))
    colours = [style.PALETTE[0] if b.rank == 1 else style.PALETTE[5] for b in bars]
    ax.barh(rows, [b.value for b in bars], color=colours, height=0.7)
    ax.set_yticks(list(rows), [f"{b.rank}. {_short(b.name)}" for b in bars])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    top = max((b.value for b in bars), default=1.0) or 1.0
    ax.set_xlim(0, top * 1.15)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.set_xlabel(m.CHART_BOARD_AXIS_TEAMS if data.scope == "teams" else m.CHART_BOARD_AXIS_USERS)
    for row, bar in zip(rows, bars, strict=True):
        ax.text(
            bar.value + top * 0.01,
            row,
            number(bar.value),
            va="center",
            fontsize=style.LABEL_SIZE - 1,
        )
    if not bars:
        _empty(ax)
    return fig


def number(value: float) -> str:
    """A value as the chart prints it (whole numbers without decimals), as the alt text does."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
