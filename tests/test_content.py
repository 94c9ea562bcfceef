"""The deck loader and `studybot content check`: clear messages for broken decks, a clean bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.cli import main
from bot.content import load_bank, load_seed_ids
from tests.conftest import ROOT, shared_dir

GOOD = """
[deck]
topic = "demo"
title = "Demo"

[[questions]]
id = "demo-one"
type = "mcq"
difficulty = "easy"
prompt = "Pick B."
choices = ["a", "b", "c"]
answer = 1
explanation = "B is b."
seeds = ["s0-l9"]
"""


def write(tmp_path: Path, body: str, name: str = "demo.toml") -> Path:
    (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, seed_ids: set[str] | None = None) -> list[str]:
    return [str(p) for p in load_bank(tmp_path, seed_ids)[1]]


def test_good_deck_loads(tmp_path: Path) -> None:
    bank, found = load_bank(write(tmp_path, GOOD))
    assert found == [] and bank.by_id["demo-one"].topic == "demo"


def test_missing_field(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('explanation = "B is b."\n', ""))
    assert problems(tmp_path) == ["demo.toml: demo-one: explanation: required field is missing"]


def test_duplicate_id_across_decks(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, GOOD.replace('"demo"', '"other"'), "other.toml")
    assert problems(tmp_path) == [
        ("other.toml: demo-one: id: duplicate id, also in demo.toml (the copy there is used)")
    ]


def test_mcq_answer_out_of_range(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("answer = 1", "answer = 3"))
    assert problems(tmp_path) == ["demo.toml: demo-one: answer: index 3 is out of range 0..2"]


def test_unknown_seed_id(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("s0-l9", "s9-l1"))
    assert problems(tmp_path, {"s0-l9"}) == ["demo.toml: demo-one: seeds: unknown seed id s9-l1"]


def test_over_long_text(tmp_path: Path) -> None:
    write(
        tmp_path,
        GOOD.replace('"Pick B."', '"' + "x" * 301 + '"').replace('"b"', '"' + "y" * 81 + '"'),
    )
    assert problems(tmp_path) == [
        "demo.toml: demo-one: prompt: 301 characters, limit 300",
        "demo.toml: demo-one: choices.1: 81 characters, limit 80",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('type = "mcq"', 'type = "essay"', "type: input should be 'mcq', 'true_false', 'short'"),
        ("explanation =", "explaination =", "explaination: unknown field"),
        ('"c"]', '"All of the above"]', "choices.2: 'All of the above' is not allowed"),
        ('"B is b."', '"Use $x^2$ here."', "explanation: contains LaTeX markup"),
        ('id = "demo-one"', 'id = "Demo One"', "id: use only a-z, 0-9 and '-'"),
        (
            'topic = "demo"',
            'topic = "other"',
            "deck: topic: 'other' must equal the file name 'demo'",
        ),
        ("answer = 1", "answer = true", "answer: mcq needs the 0-based index"),
    ],
)
def test_rule_messages(tmp_path: Path, old: str, new: str, expected: str) -> None:
    write(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in problems(tmp_path)), problems(tmp_path)


def test_toml_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, GOOD + "\n[[questions]\n")
    [found] = problems(tmp_path)
    assert found.startswith("demo.toml: -: toml: ")


def test_type_specific_rules(tmp_path: Path) -> None:
    body = (
        GOOD
        + """
[[questions]]
id = "demo-open"
type = "open"
difficulty = "hard"
prompt = "Discuss."
key_points = ["only one"]
explanation = "e"

[[questions]]
id = "demo-num"
type = "numeric"
difficulty = "hard"
prompt = "n?"
answer = "five"
explanation = "e"
"""
    )
    write(tmp_path, body)
    assert problems(tmp_path) == [
        "demo.toml: demo-open: model_answer: required for open",
        "demo.toml: demo-open: key_points: 1 points, need 3 to 6",
        "demo.toml: demo-num: answer: numeric needs a number",
    ]


def test_check_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, GOOD)
    assert main(["content", "check", str(tmp_path)]) == 0
    write(tmp_path, GOOD.replace("answer = 1", "answer = 9"))
    assert main(["content", "check", str(tmp_path)]) == 1
    assert "demo.toml: demo-one: answer: index 9 is out of range 0..2" in capsys.readouterr().out


def test_stats_command_reports_counts_and_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, GOOD)
    assert main(["content", "stats", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "longest prompt: 7/300" in out
    assert "seed coverage" in out


def test_repository_bank_is_clean_and_covers_the_seeds() -> None:
    shared = shared_dir()
    seed_ids = load_seed_ids(shared)
    bank, found = load_bank(ROOT / "content", seed_ids)
    assert [str(p) for p in found] == []
    assert len(bank) > 0
    if seed_ids is not None:
        cited = {s for q in bank.by_id.values() for s in q.seeds}
        topics = json.loads((shared / "seed_questions.json").read_text())
        present = set(bank.topics)
        # Every seed question whose topic has a deck is cited by some item.
        missing = sorted(t["id"] for t in topics if t["topic"] in present and t["id"] not in cited)
        assert missing == [], f"uncited seeds: {missing[:20]}"


def test_every_topic_meets_the_bank_floors() -> None:
    bank, _ = load_bank(ROOT / "content")
    for topic in bank.topics:
        auto = [q for q in bank.decks[topic].questions if q.auto_gradable]
        n = len(auto)
        assert n >= 15, f"{topic}: {n} auto-gradable items, need 15"
        for level in ("easy", "hard"):
            share = sum(q.difficulty.value == level for q in auto) / n
            assert share >= 0.2, f"{topic}: {share:.0%} {level}, need 20%"
        not_mcq = sum(q.type.value != "mcq" for q in auto) / n
        assert not_mcq >= 0.15, f"{topic}: {not_mcq:.0%} not multiple choice, need 15%"


@pytest.mark.shared
def test_bank_shares_no_phrase_with_the_seeds() -> None:
    # Deselected (not skipped) by conftest when ../shared is missing outside CI.
    tool = shared_dir() / "tools" / "originality.py"
    assert tool.is_file(), f"{tool} is missing; CI clones ../shared beside the checkout"
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(tool), str(ROOT / "content")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


OPEN = """
[deck]
topic = "demo"
title = "Demo"

[[questions]]
id = "demo-open"
type = "open"
difficulty = "medium"
prompt = "Explain the bias-variance trade-off."
model_answer = "Simple models underfit (bias); flexible ones overfit (variance)."
explanation = "The expected error splits into bias, variance and noise."
key_points = [
  { text = "Bias is error from wrong assumptions", terms = ["bias", "underfit|underfitting"] },
  { text = "Variance is sensitivity to the sample", terms = ["variance", "overfit|overfitting"] },
  "Noise cannot be reduced",
]
"""


def test_key_points_carry_the_phrases_that_show_them(tmp_path: Path) -> None:
    bank, found = load_bank(write(tmp_path, OPEN))
    assert found == []
    q = bank.by_id["demo-open"]
    assert q.key_points[0] == "Bias is error from wrong assumptions"
    assert q.key_terms == (
        ("bias", "underfit|underfitting"),
        ("variance", "overfit|overfitting"),
        (),
    )


def test_key_point_terms_are_validated(tmp_path: Path) -> None:
    write(tmp_path, OPEN.replace('"underfit|underfitting"', '"underfit|"'))
    assert problems(tmp_path) == [
        "demo.toml: demo-open: key_points.0.terms.1: has an empty phrase or synonym"
    ]
    write(tmp_path, OPEN.replace('terms = ["bias", ', 'terms = ["b", "c", "d", "e", "f", "g", '))
    assert problems(tmp_path) == ["demo.toml: demo-open: key_points.0.terms: 7 phrases, at most 6"]
    write(tmp_path, OPEN.replace('terms = ["bias"', 'words = ["bias"'))
    [unknown] = problems(tmp_path)
    assert unknown.startswith("demo.toml: demo-open: key_points.0") and "unknown field" in unknown


def test_a_pool_follows_the_decks_it_was_picked_from(tmp_path: Path) -> None:
    import dataclasses

    bank, _ = load_bank(write(tmp_path, GOOD))
    pool = bank.select(auto_gradable_only=True)
    assert [q.id for q in pool] == ["demo-one"]
    pool.clear()  # a caller's copy: the next pick is whole
    assert [q.id for q in bank.select(auto_gradable_only=True)] == ["demo-one"]
    # A workspace retiring the question replaces the decks (bot/workspace_bank.py).
    bank.decks = {t: dataclasses.replace(d, questions=()) for t, d in bank.decks.items()}
    assert bank.select(auto_gradable_only=True) == []
