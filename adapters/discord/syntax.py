"""Commands as Discord users type them: slash commands with named options, from the catalog."""

from __future__ import annotations

from bot.catalog import Entry, Sub
from bot.commandref import bind


def usage(entry: Entry, sub: Sub | None = None) -> str:
    """The slash usage of a command: `/quiz [topic] [difficulty] [count]` (a required option
    shows as `<name>`), and a group's subcommands as `/team create|delete|join|leave|list`."""
    if sub is None and entry.subs:
        return f"/{entry.name} " + "|".join(s.name for s in entry.subs)
    head = f"/{entry.name}" + (f" {sub.name}" if sub else "")
    args = sub.args if sub else entry.args
    return " ".join([head, *(f"<{a.name}>" if a.required else f"[{a.name}]" for a in args)])


def slash(line: str) -> str:
    """A line of the core's text grammar as the slash command that does the same.

    `quiz statistics 3` is `/quiz topic:statistics count:3`, `quiz stop` is `/quiz topic:stop`
    (the topic option's `stop`), `config time 09:30` is `/config time time:09:30`, and a whole
    usage string (`Usage: ...`) is the command's slash usage.
    """
    bound = bind(line)
    if bound is None:
        return line
    if bound.usage:
        return usage(bound.entry)
    parts = [f"/{bound.entry.name}"]
    if bound.sub is not None:
        parts.append(bound.sub.name)
    parts += [f"{arg.name}:{value}" if arg else value for arg, value in bound.values]
    return " ".join(parts)
