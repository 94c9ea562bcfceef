"""docker-compose.yml against the compose specification, and every reference in it resolved."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.conftest import ROOT

# `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`; `$$` is a literal dollar.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])[^}]*)?\}")


def compose_schema() -> dict[str, Any]:
    # The compose-spec schema as vendored (with its licence) by check-jsonschema.
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8")))


def env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0])
    return names


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def problems(compose: dict[str, Any], env_names: set[str], root: Path) -> list[str]:
    """Every reference that would fail at `docker compose up`, as one line each."""
    found: list[str] = []
    services: dict[str, Any] = compose.get("services", {})
    volumes = set((compose.get("volumes") or {}).keys())
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for other in depends if isinstance(depends, (list, dict)) else []:
            if other not in services:
                found.append(f"{name}: depends_on unknown service {other}")
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            named = source and not source.startswith((".", "/", "~", "$"))
            if named and source not in volumes:
                found.append(f"{name}: volume {source} is not declared")
        env_files = service.get("env_file", [])
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = env_file if isinstance(env_file, str) else env_file["path"]
            # The real .env is the operator's; the repository ships its template.
            template = root / (path + ".example" if path == ".env" else path)
            if not template.exists():
                found.append(f"{name}: env_file {path} has no {template.name} in the repository")
        build = service.get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        if context is not None and not (root / context / "Dockerfile").exists():
            found.append(f"{name}: build context {context} has no Dockerfile")
    for text in strings(compose):
        for variable, operator in VARIABLE.findall(text):
            if not operator and variable not in env_names:
                found.append(f"${{{variable}}} has no default and is not in .env.example")
            elif operator in ("?", ":?") and variable not in env_names:
                found.append(f"${{{variable}}} is required but not in .env.example")
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(compose_schema())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose)
    ]
    assert errors == []


def test_every_service_volume_file_and_variable_it_names_exists(compose: dict[str, Any]) -> None:
    assert problems(compose, env_example_names(), ROOT) == []


def test_the_checks_catch_broken_references(compose: dict[str, Any]) -> None:
    broken = yaml.safe_load(yaml.safe_dump(compose))
    broken["services"]["bot"]["depends_on"] = {"db": {"condition": "service_healthy"}}
    broken["services"]["postgres"]["volumes"] = ["pgdata2:/var/lib/postgresql/data"]
    broken["services"]["bot"]["env_file"] = "bot.env"
    broken["services"]["bot"]["environment"]["EXTRA"] = "${UNDEFINED_THING}"
    assert sorted(problems(broken, env_example_names(), ROOT)) == [
        "${UNDEFINED_THING} has no default and is not in .env.example",
        "bot: depends_on unknown service db",
        "bot: env_file bot.env has no bot.env in the repository",
        "postgres: volume pgdata2 is not declared",
    ]
    broken["services"]["bot"]["depend_on"] = ["postgres"]  # a typo the schema refuses
    validator = jsonschema.Draft202012Validator(compose_schema())
    assert not validator.is_valid(broken)


def test_the_bot_waits_for_a_healthy_database_and_migrates_it(compose: dict[str, Any]) -> None:
    postgres, bot = compose["services"]["postgres"], compose["services"]["bot"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert any(v.startswith("pgdata:") for v in postgres["volumes"])
    # The URL points at the postgres service with the asyncpg driver, once variables are filled.
    raw = bot["environment"]["STUDYBOT_DATABASE_URL"]
    url = make_url(VARIABLE.sub("x", raw))
    assert (url.drivername, url.host, url.port) == ("postgresql+asyncpg", "postgres", 5432)
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "studybot db upgrade && exec studybot run" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
