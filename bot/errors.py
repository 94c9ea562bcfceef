"""Refusals the user reads, raised anywhere in the core and shown privately by the dispatcher."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages as m

# How many of the people sharing a name a refusal lists.
NAMES_SHOWN = 5


class UserError(Exception):
    """A refusal the user should read: shown privately, nothing was written."""


class AmbiguousName(UserError):
    """A name that several people here go by, none of them more exactly than the others."""

    def __init__(self, name: str, names: Sequence[str], complete: bool = True) -> None:
        """`complete`: `names` are all who match (else only the first ones read)."""
        shown = ", ".join(m.clip(n, 40) for n in names[:NAMES_SHOWN])
        if not complete:
            shown = m.PERSON_AMBIGUOUS_MANY.format(shown=shown)
        elif len(names) > NAMES_SHOWN:
            shown = m.PERSON_AMBIGUOUS_MORE.format(shown=shown, more=len(names) - NAMES_SHOWN)
        super().__init__(m.PERSON_AMBIGUOUS.format(name=m.clip(name), names=shown))
        self.names = tuple(names)
