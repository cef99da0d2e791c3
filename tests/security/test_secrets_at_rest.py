"""Issue 12: no secret on a command line, var/ readable by its owner only."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.channels.rasa_server import rasa_argv
from bot.cluster.runner import Cluster
from bot.cluster.topology import Ports, Topology, endpoints_yaml
from bot.core import migrate
from bot.settings import PROJECT_ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_rasa_token_never_appears_on_a_command_line_of_the_project() -> None:
    """The issue: `ps` showed the Rasa API token (`--auth-token`) to every local user."""
    procfile = (PROJECT_ROOT / "Procfile").read_text()
    manifests = "\n".join(p.read_text() for p in (PROJECT_ROOT / "deploy" / "kubernetes").glob("*.yaml"))
    assert "--auth-token" not in procfile and "RASA_TOKEN" not in procfile
    assert "--auth-token" not in manifests
    assert "bot.channels.rasa_server" in procfile and "bot.channels.rasa_server" in manifests


def test_the_cluster_starts_rasa_without_the_token_in_its_arguments(tmp_path: Path) -> None:
    env = {"RASA_TOKEN": "cluster-token-123", "ACTION_SECRET": "cluster-action-456", "PATH": os.environ["PATH"]}
    cluster = Cluster(tmp_path, Topology(rasa=2, actions=1, web=1, ports=Ports(),
                                         backend_ports=(7101, 7102, 7103, 7104)), env=env)
    children = cluster._children(tmp_path / "endpoints.yml", tmp_path / "haproxy.cfg", tmp_path)
    for child in children:
        assert not any("cluster-token-123" in arg or "cluster-action-456" in arg for arg in child.command), child.name
    rasa = [c for c in children if c.name.startswith("rasa")]
    assert rasa and all(c.env["RASA_TOKEN"] == "cluster-token-123" for c in rasa)
    assert all("--enable-api" in c.command for c in rasa)


def test_a_cluster_without_secrets_makes_its_own(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, Topology(rasa=1, actions=1, web=1, ports=Ports(), backend_ports=(1, 2, 3)),
                      env={"PATH": os.environ["PATH"]})
    env = cluster.env()
    assert len(env["RASA_TOKEN"]) == 64 and len(env["ACTION_SECRET"]) == 64


def test_the_launcher_adds_the_token_inside_the_process() -> None:
    args = ["run", "-p", "5005", "--enable-api"]
    assert rasa_argv(args, {"RASA_TOKEN": "t0ken"}) == ["rasa", *args, "--auth-token", "t0ken"]
    assert rasa_argv(["run", "-p", "5005"], {}) == ["rasa", "run", "-p", "5005"]
    with pytest.raises(SystemExit):
        rasa_argv(args, {})  # the API open to anyone: refused
    with pytest.raises(SystemExit):
        rasa_argv(["run", "--auth-token", "x"], {"RASA_TOKEN": "x"})


def test_rasa_sends_the_action_secret_from_its_environment() -> None:
    for text in ((PROJECT_ROOT / "endpoints.yml").read_text(), endpoints_yaml(Topology(backend_ports=(1, 2, 3, 4, 5, 6)))):
        endpoint = yaml.safe_load(text)["action_endpoint"]
        assert endpoint["headers"] == {"X-Action-Secret": "${ACTION_SECRET}"}


def test_local_secrets_are_made_once_and_var_is_the_owners_alone(tmp_path: Path) -> None:
    """The issue: var/*.db were 0644, read by an unprivileged local user."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "local.env").write_text("RASA_TOKEN=keep-me\n")
    (var / "local.env").chmod(0o644)
    (var / "intake.db").write_bytes(b"")
    (var / "intake.db").chmod(0o644)
    for _ in range(2):
        subprocess.run(["make", "-s", "local-secrets", f"VAR={var}"], cwd=PROJECT_ROOT, check=True)
    lines = (var / "local.env").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines]
    assert sorted(names) == ["ACTION_SECRET", "HOTLINE_SECRET", "INTAKE_SECRET", "RASA_TOKEN"]
    assert "RASA_TOKEN=keep-me" in lines
    assert mode(var) == 0o700 and mode(var / "local.env") == 0o600 and mode(var / "intake.db") == 0o600


def test_the_migration_leaves_the_sqlite_file_to_its_owner(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        migrate.upgrade(f"sqlite:///{tmp_path / 'intake.db'}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "intake.db") == 0o600


def test_make_run_starts_everything_with_a_private_umask() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    run = makefile.split("\nrun: ", 1)[1].split("\n\n", 1)[0]
    cluster = makefile.split("\nrun-cluster: ", 1)[1].split("\n\n", 1)[0]
    assert run.count("umask 077") == 2 and "umask 077" in cluster
