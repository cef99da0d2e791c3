"""Issue 12: the public entry serves the web app and the WeChat webhook only; Rasa's REST channel
and HTTP API are never reachable through it (make run-cluster's HAProxy, the Kubernetes ingress)."""
from __future__ import annotations

import http.server
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import yaml

from bot.cluster.runner import haproxy_binary
from bot.cluster.topology import Ports, Topology, haproxy_cfg
from bot.core.testing import free_port
from bot.settings import PROJECT_ROOT


def backend(name: str) -> http.server.ThreadingHTTPServer:
    class Named(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(name.encode())

        do_GET = do_POST = do_PUT = _answer  # noqa: N815

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Named)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """HAProxy with the cluster's configuration, the backends standing in as 'rasa', 'actions', 'web'."""
    servers = {kind: backend(kind) for kind in ("rasa", "actions", "web")}
    ports = Ports(web=free_port(), rasa=free_port(), actions=free_port(), stats=free_port(),
                  postgres=free_port(), redis=free_port())
    topology = Topology(rasa=1, actions=1, web=1, ports=ports,
                        backend_ports=tuple(servers[k].server_address[1] for k in ("rasa", "actions", "web")))
    config = tmp_path_factory.mktemp("haproxy") / "haproxy.cfg"
    config.write_text(haproxy_cfg(topology), encoding="utf-8")
    process = subprocess.Popen([haproxy_binary(), "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{ports.web}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None, "HAProxy did not start"
                time.sleep(0.2)
        yield {"public": ports.web, "internal": ports.rasa}
    finally:
        process.terminate()
        process.wait(timeout=10)
        for server in servers.values():
            server.shutdown()


def served_by(port: int, method: str, path: str) -> str:
    resp = requests.request(method, f"http://127.0.0.1:{port}{path}", json={"sender": "x", "message": "y"},
                            timeout=10)
    return resp.text


@pytest.mark.parametrize("method, path", [
    ("POST", "/webhooks/rest/webhook"),
    ("GET", "/conversations/oWx3Z_openid/tracker?token=x"),
    ("POST", "/conversations/oWx3Z_openid/tracker/events"),
    ("GET", "/status"),
    ("PUT", "/model"),
    ("POST", "/webhooks/wechat/webhook/../../webhooks/rest/webhook"),
    ("POST", "/webhooks/wechat/webhookx"),
])
def test_the_public_entry_never_reaches_rasas_rest_channel_or_api(entry: dict[str, int], method: str,
                                                                   path: str) -> None:
    assert served_by(entry["public"], method, path) == "web"


def test_the_public_entry_forwards_the_wechat_webhook_to_rasa(entry: dict[str, int]) -> None:
    assert served_by(entry["public"], "POST", "/webhooks/wechat/webhook?openid=o1&signature=s") == "rasa"
    assert served_by(entry["public"], "GET", "/webhooks/wechat/webhook?echostr=1") == "rasa"
    assert served_by(entry["public"], "GET", "/chat") == "web"


def test_the_internal_entry_to_rasa_listens_on_loopback_only() -> None:
    config = haproxy_cfg(Topology(backend_ports=(1, 2, 3, 4, 5, 6)))
    binds = [line.split()[1] for line in config.splitlines() if line.strip().startswith("bind ")]
    assert binds and all(address.startswith("127.0.0.1:") for address in binds)


def test_the_kubernetes_ingress_publishes_only_the_web_app_and_the_wechat_webhook() -> None:
    manifests = sorted((PROJECT_ROOT / "deploy" / "kubernetes").glob("*.yaml"))
    documents = [d for p in manifests for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
    published = {(path["path"], path["pathType"], path["backend"]["service"]["name"])
                 for ingress in documents if ingress["kind"] == "Ingress"
                 for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    assert published == {("/webhooks/wechat/webhook", "Exact", "rasa-router"), ("/", "Prefix", "web")}
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services.values())
    policies = {d["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: d
                for d in documents if d["kind"] == "NetworkPolicy"}
    rasa_from = policies["rasa"]["spec"]["ingress"][0]["from"]
    assert rasa_from == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rasa-router"}}}]
    actions_from = policies["actions"]["spec"]["ingress"][0]["from"]
    assert actions_from == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rasa"}}}]
