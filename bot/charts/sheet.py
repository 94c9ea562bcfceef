"""A chart's figure kept between drawings: built once per kind, its data artists reset each time."""

# Why keep figures: building one costs about as much as drawing it (every Axes makes its
# spines, axis objects and ticks, every bar a Rectangle), and a new figure brings a new
# renderer, so matplotlib's text-size cache, which is per renderer, starts empty each time.
# A kept figure is filled in place: bars are resized, lines get new data, texts new strings,
# and what a drawing leaves hidden stays hidden. The drawings run one at a time (draw.py's
# lock), so no two fill the same figure at once.

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import messages as m
from bot.charts import style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text


def figure(size: tuple[float, float]) -> Figure:
    """A figure on the Agg canvas with no layout engine: fixed margins, nothing measured."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=style.DPI, layout=None)
    FigureCanvasAgg(fig)
    return fig


def fixed(ax: Axes) -> Axes:
    """Limits are always set from the data: no autoscaling from the artists a kept axes has
    held before (hidden bars still count towards matplotlib's data limits)."""
    ax.set_autoscale_on(False)
    # No tick marks: the grid carries the values and each mark is one more line to draw.
    ax.tick_params(length=0)
    return ax


def title(ax: Axes, text: str) -> Text:
    # Plain text above the axes rather than set_title: matplotlib places a title by measuring
    # every tick label on each draw.
    return ax.text(
        0,
        1.04,
        text,
        transform=ax.transAxes,
        fontsize=style.LABEL_SIZE + 1,
        fontweight="bold",
        va="bottom",
    )


def empty_note(ax: Axes) -> Text:
    """The "no answers yet" line of an axes, hidden until a drawing has nothing to show."""
    return ax.text(
        0.5,
        0.5,
        m.CHART_NO_DATA,
        ha="center",
        va="center",
        color=style.MUTED,
        transform=ax.transAxes,
        visible=False,
    )


def percent_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FixedLocator, PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(FixedLocator([0, 0.5, 1.0]))
    target.set_major_formatter(PercentFormatter(1.0, decimals=0))


def whole_ticks(ax: Axes, n: int, axis: str = "y") -> None:
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(n, integer=True))


def short(name: str, limit: int = 20) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def number(value: float) -> str:
    """A value as the chart prints it (whole numbers without decimals), as the alt text does."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


class Bars:
    """One axes' bars, made as needed and resized per drawing (bar i sits at position i)."""

    def __init__(self, ax: Axes, *, horizontal: bool, thickness: float = 0.8) -> None:
        self._ax = ax
        self._horizontal = horizontal
        self._thickness = thickness
        self._rects: list[Rectangle] = []

    def show(self, values: Sequence[float], colours: Sequence[str]) -> None:
        from matplotlib.patches import Rectangle

        while len(self._rects) < len(values):
            at = len(self._rects) - self._thickness / 2
            corner = (0.0, at) if self._horizontal else (at, 0.0)
            rect = Rectangle(corner, 0.0, 0.0, linewidth=0)
            self._ax.add_patch(rect)
            self._rects.append(rect)
        for i, rect in enumerate(self._rects):
            rect.set_visible(i < len(values))
            if i >= len(values):
                continue
            if self._horizontal:
                rect.set_width(values[i])
                rect.set_height(self._thickness)
            else:
                rect.set_width(self._thickness)
                rect.set_height(values[i])
            rect.set_facecolor(colours[i])


class Labels:
    """Texts beside bars (a count or a value), made as needed and moved per drawing."""

    def __init__(self, ax: Axes, size: int) -> None:
        self._ax = ax
        self._size = size
        self._texts: list[Text] = []

    def show(self, places: Sequence[tuple[float, float, str]]) -> None:
        while len(self._texts) < len(places):
            self._texts.append(self._ax.text(0, 0, "", va="center", fontsize=self._size))
        for i, text in enumerate(self._texts):
            text.set_visible(i < len(places))
            if i < len(places):
                x, y, words = places[i]
                text.set_position((x, y))
                text.set_text(words)
