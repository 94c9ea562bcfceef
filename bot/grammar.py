"""What every parser shares: the error a line can be, and a command's usage line."""

from __future__ import annotations

from dataclasses import dataclass

from bot import commands as c
from bot import messages as m
from bot.catalog import BY_NAME


@dataclass(frozen=True)
class ParseError:
    """Why a line is not a command; shown privately, nothing is recorded."""

    message: str


Parsed = c.Command | ParseError


def usage(name: str) -> str:
    return m.USAGE.format(usage=BY_NAME[name].usage)
