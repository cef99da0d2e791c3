"""The cluster's configuration (bot.cluster.topology): HAProxy accepts it, conversations are
hashed on the resident, every backend process is listed, Rasa's stores are the shared ones."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from bot.cluster.runner import haproxy_binary
from bot.cluster.topology import Ports, Topology, endpoints_yaml, haproxy_cfg

TOPOLOGY = Topology(rasa=3, actions=2, web=2, ports=Ports(), backend_ports=tuple(range(7001, 7008)))


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_cfg(TOPOLOGY), encoding="utf-8")
    checked = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_conversation_is_hashed_to_one_rasa_process() -> None:
    config = haproxy_cfg(TOPOLOGY)
    rasa_backend = config.split("\nbackend rasa_servers")[1].split("\nfrontend actions")[0]
    assert "balance hash var(txn.conversation)" in rasa_backend and "hash-type consistent" in rasa_backend
    assert "url_param(openid)" in config and "json_query('$.sender')" in config
    assert [f"127.0.0.1:{port}" in rasa_backend for port in TOPOLOGY.rasa_ports] == [True] * 3
    assert all(f"127.0.0.1:{port}" in config for port in TOPOLOGY.action_ports + TOPOLOGY.web_ports)


def test_the_balancer_stamps_when_it_received_each_request() -> None:
    """WeChat's 5 s count from there (bot.channels.wechat.received_at), on both entries to Rasa."""
    config = haproxy_cfg(TOPOLOGY)
    for frontend in ("\nfrontend web", "\nfrontend rasa"):
        section = config.split(frontend)[1].split("\nbackend")[0]
        assert "http-request set-header X-Request-Start t=%[date(0,ms)]" in section


def test_rasa_uses_the_shared_tracker_store_and_lock_store() -> None:
    endpoints = yaml.safe_load(endpoints_yaml(TOPOLOGY))
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["tracker_store"]["port"] == TOPOLOGY.ports.postgres
    assert endpoints["lock_store"] == {"type": "bot.channels.lock_store.KeptTicketLockStore", "url": "127.0.0.1",
                                       "port": TOPOLOGY.ports.redis,
                                       "db": 1, "key_prefix": "jiuzhu"}
    assert endpoints["action_endpoint"]["url"] == f"http://127.0.0.1:{TOPOLOGY.ports.actions}/webhook"
