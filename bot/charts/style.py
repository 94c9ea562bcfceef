"""The one chart style: Okabe-Ito colours on an opaque light card, sized for chat thumbnails."""

# Why an opaque light card rather than a transparent image: chat clients show a transparent PNG
# on their own background, white in a light theme and near-black in a dark one, and no text
# colour reads well on both (mid-grey text is weak on each). A light card with dark text looks
# the same in both themes, like a photo, and the Okabe-Ito colours were chosen for contrast on
# light backgrounds and for the common colour-vision deficiencies. Sizes: the images are 800
# pixels wide and chat clients shrink them to about 400, so text is at least 12 points at
# 100 dpi (6 pixels tall in the thumbnail) and lines are thick.

from __future__ import annotations

from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour
# deficiency. Black is left out (it is the text colour) and yellow last (weak on light).
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermilion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)
# Lines beyond the palette would repeat a colour: a race shows at most this many teams.
MAX_LINES = len(PALETTE)
BACKGROUND = "#FAFAF7"
TEXT = "#1F1F1F"
GRID = "#D9D9D4"
MUTED = "#6B6B6B"

DPI = 100
WIDE = (8.0, 4.5)  # 800 x 450 pixels: race and board
TALL = (8.0, 6.0)  # 800 x 600 pixels: progress (three or four panels)
TITLE_SIZE = 16
LABEL_SIZE = 13
LINE_WIDTH = 2.8
MARKER_SIZE = 6


def rc() -> dict[str, Any]:
    """matplotlib settings for every chart (applied with rc_context around one drawing)."""
    return {
        "figure.facecolor": BACKGROUND,
        "axes.facecolor": BACKGROUND,
        "savefig.facecolor": BACKGROUND,
        "axes.edgecolor": GRID,
        "axes.labelcolor": TEXT,
        "axes.titlecolor": TEXT,
        "axes.titlesize": LABEL_SIZE + 1,
        "axes.titleweight": "bold",
        "axes.labelsize": LABEL_SIZE,
        "axes.prop_cycle": _cycler(),
        "axes.grid": True,
        "axes.axisbelow": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "grid.color": GRID,
        "grid.linewidth": 0.8,
        "xtick.color": TEXT,
        "ytick.color": TEXT,
        "xtick.labelsize": LABEL_SIZE - 1,
        "ytick.labelsize": LABEL_SIZE - 1,
        "text.color": TEXT,
        "font.size": LABEL_SIZE,
        "figure.titlesize": TITLE_SIZE,
        "figure.titleweight": "bold",
        "legend.frameon": False,
        "legend.fontsize": LABEL_SIZE - 1,
        "lines.linewidth": LINE_WIDTH,
        "lines.markersize": MARKER_SIZE,
        "savefig.dpi": DPI,
        # Names are text, never TeX: "$5$" or "a_b$" in a player's name is drawn as typed.
        "text.parse_math": False,
        # No hinting: since matplotlib 3.11 hinting (snapping outlines to the pixel grid) is
        # a good part of each glyph's cost, and text is most of a chart's drawing time;
        # unhinted text at 12 points and 100 dpi reads as well in a chat thumbnail.
        "text.hinting": "no_hinting",
    }


def _cycler() -> Any:
    from cycler import cycler  # a matplotlib dependency: imported with it, when drawing

    return cycler(color=list(PALETTE))
