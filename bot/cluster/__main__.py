"""`make run-cluster WORKERS=4`: the scaled topology on loopback until Ctrl-C (bot.cluster.runner).

PostgreSQL and Redis keep their data under var/cluster/; the processes' logs are in
var/cluster/logs/. Settings (WeChat, tokens) come from the environment, as for `make run`.
"""
from __future__ import annotations

import argparse
import logging
import signal

from bot.cluster.runner import Cluster
from bot.cluster.topology import Ports, Topology
from bot.core.privacy import install_log_redaction
from bot.settings import get_settings


def _interrupt(*_args: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa", type=int, default=2, help="Rasa server processes")
    parser.add_argument("--actions", type=int, default=2, help="action server processes")
    parser.add_argument("--web", type=int, default=2, help="web app workers")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    install_log_redaction()
    topology = Topology(rasa=max(1, args.rasa), actions=max(1, args.actions), web=max(1, args.web), ports=Ports())
    cluster = Cluster(get_settings().var_dir / "cluster", topology, keep_data=True)
    print(f"启动中：{topology.rasa} 个 Rasa 服务、{topology.actions} 个动作服务、{topology.web} 个网页进程，"
          "PostgreSQL、Redis 与 HAProxy（日志在 var/cluster/logs/）……", flush=True)
    with cluster:
        urls = topology.urls()
        print(
            "\n集群就绪 / the cluster is up:\n"
            f"  聊天页面 chat page:        {urls['chat']}\n"
            f"  工作人员后台 console:      {urls['console']}\n"
            f"  Rasa REST channel:         {urls['rest']}\n"
            f"  微信 WeChat webhook:       {urls['wechat']}\n"
            f"  动作服务 action servers:   {urls['actions']}\n"
            f"  HAProxy 状态 statistics:   {urls['stats']}\n"
            f"  PostgreSQL:                {topology.postgres_url('intake')}\n"
            f"  Redis:                     {topology.redis_url(0)}\n"
            "按 Ctrl-C 停止全部服务。\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            signal.pause()
        except KeyboardInterrupt:
            print("正在停止……", flush=True)


if __name__ == "__main__":
    main()
