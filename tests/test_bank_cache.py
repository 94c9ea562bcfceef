"""The parsed bank kept between starts: served while nothing changed, rebuilt the moment a deck
or the code does, and never a reason to fail a start."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

import bot.bank_cache as bank_cache
from bot.bank_cache import bank_key, load_bank_cached
from bot.bootstrap import build_app
from bot.content import QuestionBank, load_bank
from bot.settings import Settings
from tests.test_content import GOOD, write

OTHER = GOOD.replace('"demo"', '"other"').replace("demo-one", "other-one")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every directory the decks were actually parsed from (not served from the cache)."""
    seen: list[Path] = []

    def counted(directory: Path) -> tuple[QuestionBank, list[object]]:
        seen.append(directory)
        return load_bank(directory)  # type: ignore[return-value]

    monkeypatch.setattr(bank_cache, "load_bank", counted)
    return seen


def same_bank(a: QuestionBank, b: QuestionBank) -> bool:
    dumped = [q.model_dump() for q in a.by_id.values()]
    return dumped == [q.model_dump() for q in b.by_id.values()] and a.vocabulary == b.vocabulary


def test_an_unchanged_bank_is_parsed_once(tmp_path: Path, parses: list[Path]) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    first, _ = load_bank_cached(decks, tmp_path / "cache")
    second, problems = load_bank_cached(decks, tmp_path / "cache")
    assert parses == [decks]
    assert problems == [] and same_bank(first, second)
    assert second.by_id["demo-one"].prompt == "Pick B."


def test_a_deck_rewritten_with_its_old_size_and_time_is_seen(
    tmp_path: Path, parses: list[Path]
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    deck = write(decks, GOOD) / "demo.toml"
    before = os.stat(deck)
    load_bank_cached(decks, tmp_path / "cache")
    # Same length, same modification time: only the bytes tell the edit apart.
    deck.write_text(GOOD.replace("Pick B.", "Pick C."), encoding="utf-8")
    os.utime(deck, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(deck).st_size == before.st_size
    bank, _ = load_bank_cached(decks, tmp_path / "cache")
    assert bank.by_id["demo-one"].prompt == "Pick C."
    assert len(parses) == 2


def test_added_removed_and_term_files_are_seen(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    cache = tmp_path / "cache"
    assert set(load_bank_cached(decks, cache)[0].by_id) == {"demo-one"}
    write(decks, OTHER, "other.toml")
    assert set(load_bank_cached(decks, cache)[0].by_id) == {"demo-one", "other-one"}
    (decks / "demo.toml").unlink()
    assert set(load_bank_cached(decks, cache)[0].by_id) == {"other-one"}
    write(decks, 'general = ["backpropagation"]\n', "terms.toml")
    assert load_bank_cached(decks, cache)[0].terms == ("backpropagation",)
    # One entry is kept: those of older decks are never read again.
    assert len(list(cache.glob("bank-*.pickle"))) == 1


def test_problems_are_kept_with_the_bank(tmp_path: Path, parses: list[Path]) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    write(decks, GOOD.replace("answer = 1", "answer = 3").replace('"demo"', '"bad"'), "bad.toml")
    fresh = [str(p) for p in load_bank_cached(decks, tmp_path / "cache")[1]]
    cached = [str(p) for p in load_bank_cached(decks, tmp_path / "cache")[1]]
    assert fresh == cached == ["bad.toml: demo-one: answer: index 3 is out of range 0..2"]
    assert len(parses) == 1


def test_the_code_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decks = write(tmp_path, GOOD)
    code = tmp_path / "code"
    code.mkdir()
    (code / "content.py").write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(bank_cache, "CODE_DIR", code)
    before = bank_key(decks)
    (code / "content.py").write_text("A = 2\n", encoding="utf-8")
    assert bank_key(decks) != before


def test_a_damaged_entry_is_parsed_again_and_replaced(
    tmp_path: Path, parses: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    cache = tmp_path / "cache"
    load_bank_cached(decks, cache)
    (entry,) = cache.glob("bank-*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    with caplog.at_level(logging.WARNING):
        bank, _ = load_bank_cached(decks, cache)
    assert bank.by_id["demo-one"].prompt == "Pick B."
    assert "ignored the question bank cache" in caplog.text
    load_bank_cached(decks, cache)
    assert len(parses) == 2  # the rewritten entry serves the third load


def test_a_cache_that_cannot_be_written_never_fails_a_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        bank, _ = load_bank_cached(decks, blocked / "cache")
    assert bank.by_id["demo-one"].prompt == "Pick B."
    assert "question bank cache not written" in caplog.text


async def test_a_restarted_app_sees_an_edited_deck(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    write(decks, GOOD)
    settings = Settings(_env_file=None, STUDYBOT_CACHE_DIR=str(tmp_path / "cache"))  # type: ignore[call-arg]
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    for prompt in ("Pick B.", "Pick C."):
        write(decks, GOOD.replace("Pick B.", prompt))
        app = await build_app(settings, db_url=url, content_dir=decks)
        try:
            assert app.bank.by_id["demo-one"].prompt == prompt
        finally:
            await app.close()
    assert list((tmp_path / "cache").glob("bank-*.pickle"))
