"""The Kubernetes deployment files (deploy/kubernetes/): every object valid against Kubernetes'
own schemas (kubernetes-validate, offline, strict), probes and resource requests on every
container, Rasa pinned to the version the project runs, the router's HAProxy configuration
accepted by HAProxy, the WeChat ingress hashed on the resident."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from bot.cluster.runner import haproxy_binary
from bot.settings import PROJECT_ROOT

MANIFESTS = sorted((PROJECT_ROOT / "deploy" / "kubernetes").glob("*.yaml"))
KUBERNETES_VERSION = "1.28.0"


def objects() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def of_kind(*kinds: str) -> list[dict]:
    return [doc for doc in objects() if doc["kind"] in kinds]


def pod_spec(workload: dict) -> dict:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return spec["template"]["spec"]


@pytest.mark.parametrize("document", objects(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_object_is_valid_kubernetes(document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_an_invalid_object_is_caught() -> None:
    broken = of_kind("Deployment")[0]
    broken = {**broken, "spec": {**broken["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_container_has_probes_and_resource_requests() -> None:
    for workload in of_kind("Deployment", "StatefulSet", "CronJob"):
        for container in pod_spec(workload)["containers"]:
            name = f"{workload['metadata']['name']}/{container['name']}"
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            if workload["kind"] != "CronJob":
                assert "readinessProbe" in container and "livenessProbe" in container, name


def test_rasa_is_pinned_to_the_projects_version() -> None:
    pinned = re.search(r'"rasa==([\d.]+)"', (PROJECT_ROOT / "pyproject.toml").read_text()).group(1)
    assert pinned.startswith("3.6.")
    rasa = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == "rasa")
    assert rasa["metadata"]["labels"]["app.kubernetes.io/version"] == pinned
    assert f"rasa=={pinned}" in (PROJECT_ROOT / "requirements.lock").read_text()


def test_the_routers_haproxy_configuration_is_accepted(tmp_path: Path) -> None:
    router = next(d for d in of_kind("ConfigMap") if d["metadata"]["name"] == "rasa-router")
    config = tmp_path / "haproxy.cfg"
    config.write_text(router["data"]["haproxy.cfg"], encoding="utf-8")
    checked = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "balance hash var(txn.conversation)" in config.read_text()


def test_the_wechat_ingress_hashes_on_the_resident() -> None:
    wechat = next(d for d in of_kind("Ingress") if d["metadata"]["name"] == "wechat")
    assert wechat["metadata"]["annotations"]["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$arg_openid"
    backend = wechat["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
    assert backend == "rasa-router"
