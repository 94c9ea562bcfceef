"""Workspace deck imports: each format, broken files with their exact messages, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content import load_bank
from bot.deck_import import (
    IMPORT_MAX_BYTES,
    ImportRejected,
    detect_format,
    export_toml,
    parse_import,
    stable_id,
)
from bot.questions import QuestionType

HEADER = "type,difficulty,prompt,choices,answer,accept,tolerance,explanation\n"
GOOD_CSV = HEADER + (
    "mcq,easy,Which queue do we use?,Kafka|RabbitMQ|SQS,B,,,We moved in 2024.\n"
    "mcq,easy,Which cloud?,AWS|GCP|Azure,gcp,,,By option text.\n"
    'true_false,medium,"Our store is Feast, right?",,yes,,,It is.\n'
    "short,hard,Our warehouse?,,snowflake,sf|snow,,It is Snowflake.\n"
    "numeric,easy,What is 1/4?,,0.25,,0.01,A quarter.\n"
)


def rejected(name: str, filename: str, text: str) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        parse_import(name, filename, text)
    return caught.value.problems


def test_csv_imports_every_auto_graded_type() -> None:
    deck = parse_import("our-stack", "deck.csv", GOOD_CSV)
    assert deck.format == "csv"
    kinds = [q.type for q in deck.questions]
    assert kinds == [
        QuestionType.MCQ,
        QuestionType.MCQ,
        QuestionType.TRUE_FALSE,
        QuestionType.SHORT,
        QuestionType.NUMERIC,
    ]
    queue, cloud, store, warehouse, quarter = deck.questions
    assert queue.answer == 1 and queue.choices == ("Kafka", "RabbitMQ", "SQS")
    assert cloud.answer == 1  # by the option's text, case-insensitive
    assert store.answer is True and store.prompt == "Our store is Feast, right?"
    assert warehouse.accept == ("sf", "snow")
    assert quarter.answer == 0.25 and quarter.tolerance == 0.01
    # Ids come from the prompt, so reordering the rows keeps them.
    assert queue.id == stable_id("Which queue do we use?")
    assert all(q.topic == "our-stack" for q in deck.questions)


def test_csv_bad_columns_are_named() -> None:
    assert rejected("d", "x.csv", "type,prompt,answer,explanation,colour\n") == [
        "line 1: colour: unknown column (expected type,difficulty,prompt,choices,answer,...)",
        "line 1: difficulty: required column is missing",
    ]


def test_csv_unknown_type_bad_answer_and_duplicate_prompt() -> None:
    text = HEADER + (
        "essay,easy,Why?,,yes,,,Because.\n"
        "mcq,easy,Pick one,a|b|c,Z,,,x\n"
        "numeric,easy,N?,,abc,,,x\n"
        "true_false,easy,Same?,,true,,,x\n"
        "true_false,easy,same? ,,false,,,x\n"
    )
    assert rejected("d", "x.csv", text) == [
        "line 3: answer: 'Z' is neither a letter A-E nor one of the choices",
        "line 6: prompt: the same prompt as line 5",
        "line 2: type: input should be 'mcq', 'true_false', 'short', 'numeric' or 'open'",
        "line 4: answer: numeric needs a number",
    ]


def test_one_bad_item_at_the_end_rejects_the_whole_file() -> None:
    rows = "".join(f"true_false,easy,Statement {i}?,,true,,,Because {i}.\n" for i in range(200))
    bad = "mcq,easy,Last one?,only|two,A,,,x\n"
    assert rejected("d", "x.csv", HEADER + rows + bad) == [
        "line 202: choices: 2 options, need 3 to 5"
    ]


def test_toml_runs_the_content_validator_with_duplicate_ids() -> None:
    item = 'id = "q1"\ntype = "true_false"\ndifficulty = "easy"\nprompt = "{p}"\nanswer = true\n'
    text = (
        "".join(f'[[questions]]\n{item.format(p=p)}explanation = "x"\n' for p in ("A?", "B?"))
        + '[[questions]]\nid = "q3"\ntype = "mcq"\ndifficulty = "easy"\nprompt = "$x$?"\n'
    )
    assert rejected("d", "deck.toml", text) == [
        "q1: id: duplicate id in this deck",
        "q3: explanation: required field is missing",
    ]


def test_toml_every_type_and_export_round_trip() -> None:
    open_item = (
        '[[questions]]\nid = "why-cache"\ntype = "open"\ndifficulty = "hard"\n'
        'prompt = "Why do we cache features?"\nmodel_answer = "Latency and cost."\n'
        'key_points = [{ text = "latency", terms = ["latency|speed"] }, "cost", "freshness"]\n'
        'explanation = "Trade-offs."\n'
    )
    deck = parse_import("ours", "x.csv", GOOD_CSV)
    text = export_toml("ours", "Our stack", deck.questions) + open_item
    again = parse_import("ours", "ours.toml", text)
    assert again.title == "Our stack"
    assert again.questions[:5] == deck.questions
    assert again.questions[5].key_terms == (("latency|speed",), (), ())


def test_red_trivia_yaml_skips_author_and_config() -> None:
    text = (
        "AUTHOR: someone\nCONFIG:\n  timeout: 20\n"
        "What is the capital of France?:\n- Paris\n- paris city\n"
        "What is 2+2?: [4, four]\n"
    )
    deck = parse_import("trivia", "list.yaml", text)
    assert [(q.type, q.answer, q.accept) for q in deck.questions] == [
        (QuestionType.SHORT, "Paris", ("paris city",)),
        (QuestionType.SHORT, "4", ("four",)),
    ]
    assert deck.questions[0].explanation == "Accepted answers: Paris, paris city."
    assert rejected("t", "x.yml", "AUTHOR: me\nQ?: []\n") == ["item 1: answers: no answer given"]
    assert rejected("t", "x.yaml", "a: [b\n") == [
        "line 2: yaml: expected ',' or ']', but got '<stream end>'"
    ]


def otdb(*results: dict[str, object]) -> str:
    return json.dumps({"response_code": 0, "results": list(results)})


def test_open_trivia_db_decodes_html_entities() -> None:
    text = otdb(
        {
            "type": "multiple",
            "difficulty": "easy",
            "category": "Science &amp; Nature",
            "question": "What&#039;s &quot;H2O&quot;?",
            "correct_answer": "Water",
            "incorrect_answers": ["Salt", "Sand", "Caf&eacute;"],
        },
        {
            "type": "boolean",
            "difficulty": "hard",
            "category": "X",
            "question": "Is 1 &lt; 2?",
            "correct_answer": "True",
            "incorrect_answers": ["False"],
        },
    )
    mcq, truth = parse_import("otdb", "api.json", text).questions
    assert mcq.prompt == 'What\'s "H2O"?'
    assert mcq.choices == ("Café", "Salt", "Sand", "Water") and mcq.answer == 3
    assert mcq.explanation == "The answer is Water (Science & Nature)."
    assert truth.prompt == "Is 1 < 2?" and truth.answer is True
    assert rejected("o", "x.json", otdb({"type": "open", "question": "x"})) == [
        "item 1: type: unknown type 'open' (expected multiple or boolean)"
    ]
    assert rejected("o", "x.json", "{bad") == [
        "line 1: json: Expecting property name enclosed in double quotes"
    ]


def test_format_by_extension_else_by_content() -> None:
    assert detect_format("a.YML", "") == "yaml"
    assert detect_format("", otdb()) == "json"
    assert detect_format("", "[deck]\ntitle='x'") == "toml"
    assert detect_format("", HEADER) == "csv"
    assert detect_format("", "Q?: [a]") == "yaml"


def test_size_cap_and_encoding() -> None:
    big = HEADER + "x" * IMPORT_MAX_BYTES
    assert rejected("d", "x.csv", big) == [
        f"file: size: {len(big)} bytes, limit {IMPORT_MAX_BYTES} (1 MB)"
    ]
    assert rejected("d", "x.csv", b"\xff\xfe") == [
        "file: encoding: not UTF-8 text (invalid start byte)"
    ]
    assert rejected("d", "x.csv", HEADER) == ["file: questions: the file holds no questions"]


def test_builtin_ids_may_not_take_the_workspace_prefix(tmp_path: Path) -> None:
    (tmp_path / "ops.toml").write_text(
        '[deck]\ntopic = "ops"\ntitle = "Ops"\n'
        '[[questions]]\nid = "x--1-a"\ntype = "true_false"\ndifficulty = "easy"\n'
        'prompt = "A?"\nanswer = true\nexplanation = "x"\n',
        encoding="utf-8",
    )
    bank, problems = load_bank(tmp_path)
    assert [str(p) for p in problems] == ["ops.toml: x--1-a: id: 'x--' starts workspace ids"]
    assert len(bank) == 0
