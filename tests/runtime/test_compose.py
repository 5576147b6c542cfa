"""compose.yaml and .env.example, read as Docker Compose would read them (no Docker engine runs
here: the file is parsed and checked against the bot's own settings, not started)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import _ENV_NAMES, load_settings

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("bot-1", "bot-2")


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME} and ${NAME:?message}."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda m: env[m.group(1)], value)


def test_postgres_has_a_volume_and_a_healthcheck() -> None:
    compose = _compose()
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume: the data outlives the container
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_the_migration_runs_once_before_the_replicas() -> None:
    services = _compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["clusterbot", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in REPLICAS:
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }


def test_two_replicas_with_valid_settings_and_a_liveness_check() -> None:
    services = _compose()["services"]
    env = {"POSTGRES_PASSWORD": "pw"}
    host_ports = set()
    for name in REPLICAS:
        replica = services[name]
        assert replica["restart"] == "unless-stopped"
        assert replica["env_file"] == ".env"
        environment = {k: _interpolate(str(v), env) for k, v in replica["environment"].items()}
        settings = load_settings(TELEGRAM_BOT_TOKEN="123:abc", **environment)
        assert settings.database_url == "postgresql+asyncpg://clusterbot:pw@db:5432/clusterbot"
        assert settings.http_host == "0.0.0.0"
        port = settings.listen_port
        check = " ".join(replica["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/healthz" in check
        (mapping,) = replica["ports"]
        assert mapping.endswith(f":{port}")
        host_ports.add(mapping.rsplit(":", 1)[0])
    assert len(host_ports) == 2
    db = services["db"]["environment"]
    assert db["POSTGRES_USER"] == "clusterbot" and db["POSTGRES_DB"] == "clusterbot"


def test_env_example_names_every_setting() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", section, re.MULTILINE))
    wanted = set(_ENV_NAMES.values()) | table
    assert wanted - named == set()
    assert named - wanted <= {"POSTGRES_PASSWORD"}  # compose.yaml's own
