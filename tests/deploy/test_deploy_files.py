"""The deployment files parse and say what the README promises: the image runs as a
user, not root, and reports its health on /healthz; compose configures Redis the way
`newsbot doctor` requires; the systemd unit restarts the service and confines it.
Docker itself cannot run here (no registry for base images), so the files are read,
and the health check's own command is run against a real service."""

from __future__ import annotations

import asyncio
import configparser
import json
import re
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml

from bot.app import open_app
from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Sandbox
from tests.bot.test_lifecycle import running
from tests.bot.test_pipeline import ENV
from tests.conftest import make_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines()]
    return [
        (ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "")
        for ln in lines
        if ln and not ln.startswith("#")
    ]


def instruction(name: str) -> list[str]:
    return [args for op, args in dockerfile() if op == name]


def healthcheck_command() -> list[str]:
    (check,) = instruction("HEALTHCHECK")
    return list(json.loads(check.split("CMD", 1)[1]))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def redis_options(command: list[str]) -> dict[str, str]:
    """`redis-server --name value ...` as {name: value}."""
    args = command[1:]
    return {args[i].removeprefix("--"): args[i + 1] for i in range(0, len(args), 2)}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "newsbot.service").read_text())
    return parser


def test_the_image_runs_as_an_unprivileged_numeric_user() -> None:
    users = instruction("USER")
    assert users, "the Dockerfile sets no USER: the service would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert f"--uid {user}" in " ".join(instruction("RUN"))


def test_the_image_checks_its_health_on_healthz_of_its_own_port() -> None:
    command = healthcheck_command()
    env = " ".join(instruction("ENV"))
    port = re.search(r"NEWSBOT_HTTP_PORT=(\d+)", env)
    assert port is not None
    assert f"127.0.0.1:{port.group(1)}/healthz" in command[-1]
    assert "NEWSBOT_HTTP_HOST=0.0.0.0" in env  # reachable from outside the container
    assert port.group(1) in " ".join(instruction("EXPOSE"))


def test_the_image_installs_every_package_the_project_ships() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in meta["tool"]["setuptools"]["packages"]["find"]["include"]]
    copied = {args.split()[0] for args in instruction("COPY")}
    assert set(packages) <= copied, f"not copied into the image: {set(packages) - copied}"


def test_compose_redis_is_configured_as_newsbot_requires() -> None:
    services = compose()["services"]
    options = redis_options(services["redis"]["command"])
    assert options["appendonly"] == "yes"
    assert options["appendfsync"] == "everysec"
    assert options["maxmemory-policy"] == "noeviction"
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert "redis-data" in compose()["volumes"]


def test_compose_newsbot_waits_for_redis_and_checks_its_health() -> None:
    newsbot = compose()["services"]["newsbot"]
    assert newsbot["environment"]["REDIS_URL"].startswith("redis://redis:6379")
    assert newsbot["depends_on"]["redis"]["condition"] == "service_healthy"
    assert newsbot["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    assert newsbot["restart"] == "unless-stopped"


def test_the_systemd_unit_restarts_and_confines_the_service() -> None:
    service = unit()["Service"]
    assert shlex.split(service["ExecStart"])[-1] == "run"
    assert service["Restart"] in {"always", "on-failure"}
    assert service.get("User", "") != "root"
    assert service.get("DynamicUser") == "yes" or service.get("User")
    for option, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[option] == value, option
    assert "NEWSBOT_DATA_DIR=/var/lib/newsbot" in service["Environment"]
    assert service["StateDirectory"] == "newsbot"  # the only writable place


def test_the_healthcheck_command_itself_fails_when_nothing_answers() -> None:
    """The image's command is valid Python that exits 1 when /healthz does not answer
    (here: a port where nothing listens)."""
    command = healthcheck_command()
    assert command[0] == "python"
    script = command[-1].replace(":8080/", ":9/")  # the discard port: nothing listens
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert done.returncode != 0


async def test_the_healthcheck_command_passes_against_a_running_service(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    """The image's own command, pointed at a real service's port, exits 0."""
    config = make_config(redis_server.url, sandbox)
    async with open_app(config, env=ENV) as app, running(app):
        script = healthcheck_command()[-1].replace(":8080/", f":{app.web.port}/")
        deadline = time.monotonic() + 10
        while True:
            done = await asyncio.create_subprocess_exec(
                sys.executable, "-c", script, stderr=asyncio.subprocess.DEVNULL
            )
            if await done.wait() == 0:
                break
            assert time.monotonic() < deadline, "the image's health check never passed"
            await asyncio.sleep(0.2)
