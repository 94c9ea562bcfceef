"""Named fault points: inert unless a test arms one to raise there or kill this process."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

# Scheduled work (kind = post, close or tally) passes these step boundaries in order:
#   <kind>.claimed    the claim (lease) is held; no database step has run yet
#   <kind>.stepped    the database step is done (round opened, round closed and points
#                     awarded, weekly tally computed); nothing is published yet
#   <kind>.published  the platform took the message; neither the round's reference nor the
#                     claim records it yet
#   <kind>.recorded   the claim is marked published (and the round keeps its reference)
# A daily answer (and a quiz answer) passes:
#   answer.claimed    the general path has begun (the inbox holds the delivery); nothing
#                     is written yet
#   answer.written    the answer is stored; the reply has not gone back yet
# An interaction from a platform passes:
#   inbox.admitted    its inbox row is written and the adapter has acknowledged it; nothing is
#                     processed yet. Armed, it fires after ACK_PAUSE_S, so that the ack (which
#                     an HTTP adapter sends while the core goes on) has reached the platform.
# A one-write interaction (a click on a daily card: its row, answer and reply in one
# transaction, bot.intake) passes instead:
#   inbox.uncommitted the batch's rows, answers and replies are written in the open
#                     transaction, not committed; nothing has been acknowledged
KINDS = ("post", "close", "tally")
WORK_STEPS = ("claimed", "stepped", "published", "recorded")
POINTS = frozenset(
    [f"{kind}.{step}" for kind in KINDS for step in WORK_STEPS]
    + ["answer.claimed", "answer.written", "inbox.admitted", "inbox.uncommitted"]
)
ACK_PAUSE_S = 0.5
# STUDYBOT_FAULT=<point>:kill (or :raise) arms a point in a process started by a test.
ENV = "STUDYBOT_FAULT"

_armed: dict[str, Callable[[], None]] = {}


class InjectedFault(RuntimeError):
    """Raised at an armed fault point: stands for a lock, an outage or a dropped connection."""


def fault_point(name: str) -> None:
    """Run the fault armed at `name`, if any; a dict lookup otherwise."""
    action = _armed.get(name)
    if action is not None:
        action()


async def fault_point_after_ack(name: str) -> None:
    """`fault_point` for a point reached right after an adapter's ack: armed, it waits for
    the ack to go out first (an HTTP response is written only once this task yields)."""
    if name in _armed:
        await asyncio.sleep(ACK_PAUSE_S)
        fault_point(name)


def arm(name: str, action: Callable[[], None] | None = None, times: int = 1) -> None:
    """Make `name` fail `times` times (raise InjectedFault unless `action` is given)."""
    if name not in POINTS:
        raise ValueError(f"no fault point {name!r}; known: {', '.join(sorted(POINTS))}")
    left = times

    def fire() -> None:
        nonlocal left
        left -= 1
        if left <= 0:
            _armed.pop(name, None)
        if action is not None:
            action()
        else:
            raise InjectedFault(f"fault injected at {name}")

    _armed[name] = fire


def armed(name: str) -> bool:
    """Whether `name` is armed still (it disarms itself once it has fired its times)."""
    return name in _armed


def disarm(name: str | None = None) -> None:
    """Disarm one point, or every point."""
    if name is None:
        _armed.clear()
    else:
        _armed.pop(name, None)


def kill() -> None:
    """Die at once, as under `kill -9`: no cleanup, no flush, no finally blocks."""
    os.kill(os.getpid(), signal.SIGKILL)


def arm_from_env(value: str | None = None) -> None:
    """Arm the point named in STUDYBOT_FAULT (`<point>:kill` or `<point>:raise`), if set."""
    value = os.environ.get(ENV, "") if value is None else value
    if not value:
        return
    name, _, how = value.rpartition(":")
    if how not in ("kill", "raise"):
        raise ValueError(f"{ENV}={value!r}: expected <point>:kill or <point>:raise")
    arm(name, kill if how == "kill" else None)


arm_from_env()
