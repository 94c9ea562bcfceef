"""Workspace deck imports: TOML, CSV, Red trivia YAML, Open Trivia DB JSON to checked questions."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from bot.content import RESERVED_ID_PREFIX, check_questions
from bot.deck_format import SLUG_RE, Problem
from bot.questions import LETTERS, Question, QuestionType

# An import is read whole into memory and stored as one row: 1 MB holds thousands of items.
IMPORT_MAX_BYTES = 1_048_576
DECK_NAME_MAX = 32
# A workspace item's question id is `x--<deck row id>-<local id>` and must fit the 40
# characters of the question_id columns (and Discord's custom ids), so local ids stay short.
LOCAL_ID_MAX = 28
WORKSPACE_ID_PREFIX = RESERVED_ID_PREFIX
FORMATS = ("toml", "csv", "yaml", "json")
CSV_REQUIRED = ("type", "difficulty", "prompt", "answer", "explanation")
CSV_OPTIONAL = ("choices", "accept", "tolerance", "id")
# Red-DiscordBot trivia lists carry these keys beside the questions.
RED_META_KEYS = frozenset({"AUTHOR", "CONFIG"})
_EXTENSIONS = {".toml": "toml", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}
IMPORT_SUFFIXES = frozenset(_EXTENSIONS)


@dataclass(frozen=True)
class ImportedDeck:
    """An import that passed every check: its format, title and questions with local ids."""

    name: str
    format: str
    title: str
    questions: tuple[Question, ...]


class ImportRejected(Exception):
    """The file is refused as a whole; `problems` lists every `line or item: field: problem`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def name_problem(name: str) -> str | None:
    """Why NAME cannot name a deck (it becomes a topic slug), or None."""
    if len(name) > DECK_NAME_MAX or not SLUG_RE.match(name):
        return f"use a lower-case slug of at most {DECK_NAME_MAX} characters, like 'our-stack'"
    return None


def detect_format(filename: str, text: str) -> str:
    """The format by the file's extension, else by the content's first signs."""
    ext = PurePath(filename.lower()).suffix
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = text.lstrip()
    if head.startswith(("{", "[{")):
        return "json"
    if "[[questions]]" in text or head.startswith("[deck]"):
        return "toml"
    first = head.split("\n", 1)[0].lower()
    if first.startswith("type,") or "prompt" in first.split(","):
        return "csv"
    return "yaml"


def parse_import(name: str, filename: str, data: bytes | str) -> ImportedDeck:
    """Parse and check a whole file; raise ImportRejected listing every problem (all or nothing)."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > IMPORT_MAX_BYTES:
        raise ImportRejected([f"file: size: {size} bytes, limit {IMPORT_MAX_BYTES} (1 MB)"])
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportRejected([f"file: encoding: not UTF-8 text ({exc.reason})"]) from None
    else:
        text = data.removeprefix("\ufeff")
    fmt = detect_format(filename, text)
    readers = {"toml": _toml_items, "csv": _csv_items, "yaml": _yaml_items, "json": _otdb_items}
    title = name
    problems: list[str] = []
    items: list[tuple[str, Any]] = []
    for label, raw in readers[fmt](text):
        if isinstance(raw, _Fail):
            problems.append(f"{label}: {raw.field}: {raw.message}")
        elif isinstance(raw, _Title):
            title = raw.title
        else:
            items.append((label, raw))
    if not items and not problems:
        problems.append("file: questions: the file holds no questions")
    questions, found = check_questions("", name, items)
    problems.extend(_short(p) for p in found)
    for label, raw in items:
        local = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(local, str) and LOCAL_ID_MAX < len(local) <= 40:
            problems.append(f"{label}: id: {len(local)} characters, limit {LOCAL_ID_MAX} in a deck")
    if problems:
        raise ImportRejected(problems)
    return ImportedDeck(name, fmt, title, tuple(questions))


def _short(problem: Problem) -> str:
    return f"{problem.item}: {problem.field}: {problem.message}"


@dataclass(frozen=True)
class _Fail:
    field: str
    message: str


@dataclass(frozen=True)
class _Title:
    title: str


Item = tuple[str, "dict[str, Any] | _Fail | _Title"]


def stable_id(prompt: str) -> str:
    """The id of an item its format gives none: a hash of its prompt, so it survives reordering
    and a re-import (a reworded prompt is a new question)."""
    folded = " ".join(prompt.casefold().split())
    return "h" + hashlib.sha1(folded.encode("utf-8")).hexdigest()[:10]


def _toml_items(text: str) -> Iterator[Item]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        yield "file", _Fail("toml", str(exc))
        return
    for key in sorted(set(data) - {"deck", "questions"}):
        yield "file", _Fail(key, "unknown top-level table")
    deck = data.get("deck", {})
    if isinstance(deck, dict) and isinstance(deck.get("title"), str) and deck["title"].strip():
        yield "deck", _Title(deck["title"].strip()[:100])
    raw = data.get("questions", [])
    if not isinstance(raw, list):
        yield "file", _Fail("questions", "must be an array of [[questions]] tables")
        return
    for n, item in enumerate(raw, start=1):
        label = str(item.get("id") or f"#{n}") if isinstance(item, dict) else f"#{n}"
        yield label, item


def _cells(value: str) -> list[str]:
    return [part.strip() for part in value.split("|")]


def _csv_answer(kind: str, answer: str, choices: list[str]) -> Any:
    """A CSV answer cell as the deck format wants it; the checker words any mismatch."""
    if kind == QuestionType.MCQ.value:
        if len(answer) == 1 and answer.upper() in LETTERS[: len(choices)]:
            return LETTERS.index(answer.upper())
        folded = [c.casefold() for c in choices]
        if answer.casefold() in folded:
            return folded.index(answer.casefold())
        return _Fail("answer", f"'{answer[:40]}' is neither a letter A-E nor one of the choices")
    if kind == QuestionType.TRUE_FALSE.value:
        low = answer.lower()
        if low in ("true", "t", "yes"):
            return True
        if low in ("false", "f", "no"):
            return False
        return answer
    if kind == QuestionType.NUMERIC.value:
        try:
            return float(answer)
        except ValueError:
            return answer
    return answer


def _csv_items(text: str) -> Iterator[Item]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield "line 1", _Fail("csv", str(exc))
        return
    bad = False
    for column in header:
        if column not in CSV_REQUIRED + CSV_OPTIONAL:
            known = ",".join((*CSV_REQUIRED[:3], "choices", CSV_REQUIRED[3]))
            yield "line 1", _Fail(column or "-", f"unknown column (expected {known},...)")
            bad = True
    for column in CSV_REQUIRED:
        if column not in header:
            yield "line 1", _Fail(column, "required column is missing")
            bad = True
    if len(set(header)) != len(header):
        yield "line 1", _Fail("header", "a column is named twice")
        bad = True
    if bad:
        return
    seen: dict[str, str] = {}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"line {start}", _Fail("csv", str(exc))
            return
        label = f"line {start}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield label, _Fail("row", f"{len(row)} cells, the header has {len(header)}")
            continue
        cells = {k: v.strip() for k, v in zip(header, row, strict=True) if v.strip()}
        item: dict[str, Any] = {
            k: cells[k] for k in ("type", "difficulty", "prompt", "explanation") if k in cells
        }
        item["type"] = item.get("type", "").lower()
        item["difficulty"] = item.get("difficulty", "").lower()
        choices = _cells(cells["choices"]) if "choices" in cells else None
        if choices is not None:
            item["choices"] = choices
        if "answer" in cells:
            answer = _csv_answer(item["type"], cells["answer"], choices or [])
            if isinstance(answer, _Fail):
                yield label, answer
                continue
            item["answer"] = answer
        if "accept" in cells:
            item["accept"] = _cells(cells["accept"])
        if "tolerance" in cells:
            item["tolerance"] = _number(cells["tolerance"])
        item["id"] = cells.get("id") or stable_id(cells.get("prompt", ""))
        if "id" not in cells and item["id"] in seen:
            yield label, _Fail("prompt", f"the same prompt as {seen[item['id']]}")
            continue
        seen.setdefault(item["id"], label)
        yield label, item


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _yaml_items(text: str) -> Iterator[Item]:
    # Imported here: only a YAML import needs it, and start-up need not load it.
    import yaml  # type: ignore[import-untyped]  # no stubs among the dependencies

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        yield where, _Fail("yaml", str(getattr(exc, "problem", None) or exc))
        return
    if not isinstance(data, dict):
        yield "file", _Fail("yaml", "expected `question: [answers]` lines")
        return
    n = 0
    for question, answers in data.items():
        if str(question) in RED_META_KEYS:
            continue
        n += 1
        label = f"item {n}"
        values = answers if isinstance(answers, list) else [answers]
        texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if not texts:
            yield label, _Fail("answers", "no answer given")
            continue
        prompt = str(question).strip()
        yield (
            label,
            {
                "id": stable_id(prompt),
                "type": "short",
                "difficulty": "medium",
                "prompt": prompt,
                "answer": texts[0],
                "accept": texts[1:],
                "explanation": "Accepted answers: " + ", ".join(texts) + ".",
            },
        )


def _otdb_items(text: str) -> Iterator[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield f"line {exc.lineno}", _Fail("json", exc.msg)
        return
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        yield "file", _Fail("results", "an Open Trivia DB file needs a `results` list")
        return
    for n, raw in enumerate(results, start=1):
        label = f"item {n}"
        if not isinstance(raw, dict):
            yield label, _Fail("-", "must be an object")
            continue
        kind = raw.get("type")
        if kind not in ("multiple", "boolean"):
            yield label, _Fail("type", f"unknown type '{kind}' (expected multiple or boolean)")
            continue
        prompt = html.unescape(str(raw.get("question", ""))).strip()
        correct = html.unescape(str(raw.get("correct_answer", ""))).strip()
        wrong = [html.unescape(str(w)).strip() for w in raw.get("incorrect_answers") or []]
        item: dict[str, Any] = {
            "id": stable_id(prompt),
            "difficulty": str(raw.get("difficulty", "")).lower(),
            "prompt": prompt,
        }
        category = html.unescape(str(raw.get("category", ""))).strip()
        about = f" ({category})" if category else ""
        item["explanation"] = f"The answer is {correct}{about}."
        if kind == "boolean":
            item.update(type="true_false", answer=correct.lower() == "true")
        else:
            # Sorted so the key's position says nothing; cards shuffle the options anyway.
            choices = sorted({correct, *wrong}, key=str.casefold)
            item.update(type="mcq", choices=choices, answer=choices.index(correct))
            if len(choices) != 1 + len(wrong):
                item["choices"] = [correct, *wrong]  # the checker names the repeated option
        yield label, item


def export_toml(name: str, title: str, questions: tuple[Question, ...]) -> str:
    """The deck in the native TOML format, local ids kept: importing it gives the same items."""
    out = ["[deck]", f"topic = {_q(name)}", f"title = {_q(title)}", ""]
    for q in questions:
        out.append("[[questions]]")
        out.append(f"id = {_q(q.id)}")
        out.append(f"type = {_q(q.type.value)}")
        out.append(f"difficulty = {_q(q.difficulty.value)}")
        out.append(f"prompt = {_q(q.prompt)}")
        if q.choices:
            out.append(f"choices = {json.dumps(list(q.choices), ensure_ascii=False)}")
        if q.type is QuestionType.OPEN:
            out.append(f"model_answer = {_q(q.model_answer)}")
            points = [
                {"text": p, "terms": list(t)}
                for p, t in zip(q.key_points, q.key_terms, strict=False)
            ]
            out.append("key_points = [" + ", ".join(_inline(p) for p in points) + "]")
        else:
            out.append(f"answer = {json.dumps(q.answer)}")
        if q.accept:
            out.append(f"accept = {json.dumps(list(q.accept), ensure_ascii=False)}")
        if q.tolerance:
            out.append(f"tolerance = {json.dumps(q.tolerance)}")
        if q.tags:
            out.append(f"tags = {json.dumps(list(q.tags), ensure_ascii=False)}")
        out.append(f"explanation = {_q(q.explanation)}")
        out.append("")
    return "\n".join(out)


def _q(text: str) -> str:
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(text, ensure_ascii=False)


def _inline(point: dict[str, Any]) -> str:
    return f"{{ text = {_q(point['text'])}, terms = {json.dumps(point['terms'])} }}"
