"""Rasa's production topology on one machine: what runs, on which loopback ports, with which
configuration. Pure data and text; bot.cluster.supervisor starts it.

    HAProxy :8000 ─ the public entry: the WeChat webhook to the Rasa servers (hashed on the
                    `openid`), everything else to the web workers (round robin); Rasa's REST
                    channel and HTTP API are not reachable through it
    HAProxy :5005 ─ (internal, for the web workers) Rasa servers (consistent hash on the conversation: WeChat's `openid`, the REST
                    channel's `sender`, the HTTP API's /conversations/<id>/)
    HAProxy :5055 ─ action servers (least connections)
    PostgreSQL: Rasa's tracker store and the intake registry; Redis: Rasa's lock store (db 1) and
    the channels' shared store (db 0: WeChat's retries and access token).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.services import action_endpoint_yaml

LOCK_STORE_DB = 1
LOCK_KEY_PREFIX = "jiuzhu"
# The one path of the Rasa servers the public entry forwards.
WECHAT_PATH = "/webhooks/wechat/webhook"
# A Rasa server's readiness: 200 once it has warmed up (bot.channels.warmup), 503 before.
READY_PATH = "/webhooks/rest/"
TRACKER_DB = "rasa_tracker"
REGISTRY_DB = "intake"
# Each Rasa process runs the tracker store's (synchronous) queries on its one event loop, so a
# few connections suffice; Rasa's default (50 + 100 per process) would exhaust PostgreSQL.
SQL_POOL_SIZE = 3
SQL_MAX_OVERFLOW = 5
# A live process renews its tickets from a thread of its own every third of this
# (bot.channels.lock_store), whatever its event loop is doing, so a turn may take longer; a
# process killed while holding a conversation's lock delays that conversation's next message by
# at most this long (it was 15 s before the renewing moved off the event loop).
TICKET_LOCK_LIFETIME_SECONDS = 5
# Sanic's idle timeout on the action servers, longer than the longest lag of a busy Rasa between
# opening a connection and writing the call into it (Rasa's own limit on a call is 300 s); with
# Sanic's default of 5 s such calls were cut off (bot.channels.action_calls).
ACTION_SERVER_KEEP_ALIVE_SECONDS = 120
ACTION_SERVER_ENV = {"SANIC_KEEP_ALIVE_TIMEOUT": str(ACTION_SERVER_KEEP_ALIVE_SECONDS)}
# Rasa deflates its calls to the action servers (rasa_sdk inflates them): a call (domain and
# tracker, 20–40 KB) then fits in HAProxy's 16 KB buffer, so HAProxy can send it again to the
# other action server when the first one dies during the call.
RASA_ACTION_CALL_ENV = {"COMPRESS_ACTION_SERVER_REQUEST": "true"}
# Requests at once per backend process; more wait in HAProxy's queue (`timeout queue`).
RASA_MAXCONN = 64
ACTIONS_MAXCONN = 16
WEB_MAXCONN = 64


@dataclass(frozen=True)
class Ports:
    """The three balanced entry points, the HAProxy statistics page and the stores."""

    web: int = 8000
    rasa: int = 5005
    actions: int = 5055
    stats: int = 8404
    postgres: int = 5433
    redis: int = 6380


@dataclass(frozen=True)
class Topology:
    rasa: int = 2
    actions: int = 2
    web: int = 2
    ports: Ports = field(default_factory=Ports)
    # The backends' own ports, in the order rasa, actions, web.
    backend_ports: tuple[int, ...] = ()

    @property
    def rasa_ports(self) -> tuple[int, ...]:
        return self.backend_ports[: self.rasa]

    @property
    def action_ports(self) -> tuple[int, ...]:
        return self.backend_ports[self.rasa : self.rasa + self.actions]

    @property
    def web_ports(self) -> tuple[int, ...]:
        return self.backend_ports[self.rasa + self.actions :]

    def postgres_url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.ports.postgres}/{database}"

    def redis_url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/{db}"

    def urls(self) -> dict[str, str]:
        web = f"http://127.0.0.1:{self.ports.web}"
        rasa = f"http://127.0.0.1:{self.ports.rasa}"
        return {
            "chat": f"{web}/chat",
            "console": f"{web}/console",
            "rest": f"{rasa}/webhooks/rest/webhook",
            "wechat": f"{web}/webhooks/wechat/webhook",
            "actions": f"http://127.0.0.1:{self.ports.actions}/webhook",
            "stats": f"http://127.0.0.1:{self.ports.stats}/",
        }


def endpoints_yaml(topology: Topology) -> str:
    """Rasa's endpoints.yml for every Rasa process of the cluster."""
    return (
        "# Written by bot.cluster for `make run-cluster`: shared tracker store and lock store.\n"
        + action_endpoint_yaml(f"http://127.0.0.1:{topology.ports.actions}/webhook") +
        "tracker_store:\n"
        "  type: bot.channels.tracker_store.RedactingSQLTrackerStore\n"
        "  dialect: postgresql\n"
        "  url: 127.0.0.1\n"
        f"  port: {topology.ports.postgres}\n"
        f"  db: {TRACKER_DB}\n"
        "  username: postgres\n"
        "  login_db: postgres\n"
        "lock_store:\n"
        "  type: bot.channels.lock_store.KeptTicketLockStore\n"
        "  url: 127.0.0.1\n"
        f"  port: {topology.ports.redis}\n"
        f"  db: {LOCK_STORE_DB}\n"
        f"  key_prefix: {LOCK_KEY_PREFIX}\n"
        "event_broker:\n"
        "  type: bot.channels.handoff_events.HandoffEventBroker\n"
    )


def haproxy_cfg(topology: Topology) -> str:
    """HAProxy's configuration: health-checked backends; a request the backend dropped without an
    answer (a killed process) is sent again to another one, where the conversation's message id
    makes sure it is answered once (bot.channels.ledger)."""
    rasa = _servers("rasa", topology.rasa_ports, RASA_MAXCONN)
    actions = _servers("actions", topology.action_ports, ACTIONS_MAXCONN)
    web = _servers("web", topology.web_ports, WEB_MAXCONN)
    ports = topology.ports
    return f"""# Written by bot.cluster for `make run-cluster`.
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 75s
    timeout server 75s
    timeout http-request 10s
    timeout queue 30s
    timeout check 5s
    option http-buffer-request
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    default-server inter 2s fall 3 rise 2

# The public entry: the web app, and Rasa's WeChat webhook alone (its REST channel and HTTP API
# only through the internal frontend below). A deployment binds it to the public address.
frontend web
    bind 127.0.0.1:{ports.web}
    unique-id-format %{{+X}}o%ci%cp%Ts%rt%pid
    http-request set-header X-Request-Id %[unique-id] unless {{ req.hdr(X-Request-Id) -m found }}
    http-request set-var(txn.conversation) url_param(openid) if {{ path {WECHAT_PATH} }}
    # When the balancer received it: WeChat's 5 s count from here (bot.channels.wechat).
    http-request set-header X-Request-Start t=%[date(0,ms)]
    use_backend rasa_servers if {{ path {WECHAT_PATH} }}
    default_backend web_workers

backend web_workers
    balance roundrobin
    option httpchk GET /healthz
{web}

# Internal: the web workers' way to Rasa (REST channel, HTTP API), never published.
frontend rasa
    bind 127.0.0.1:{ports.rasa}
    http-request set-header X-Request-Start t=%[date(0,ms)]
    http-request set-var(txn.conversation) url_param(openid) if {{ url_param(openid) -m found }}
    http-request set-var(txn.conversation) req.body,json_query('$.sender') if {{ path_beg /webhooks/rest/ }}
    http-request set-var(txn.conversation) path,field(3,/) if {{ path_beg /conversations/ }}
    default_backend rasa_servers

backend rasa_servers
    balance hash var(txn.conversation)
    hash-type consistent
    # Ready once warmed up (bot.channels.warmup): a process's first turn is no slower than the next.
    option httpchk GET {READY_PATH}
    http-response set-header X-Served-By %[srv_name]
{rasa}

frontend actions
    bind 127.0.0.1:{ports.actions}
    # A busy Rasa may open the connection seconds before it writes the call (bot.channels.action_calls).
    timeout http-request {ACTION_SERVER_KEEP_ALIVE_SECONDS}s
    timeout client {ACTION_SERVER_KEEP_ALIVE_SECONDS}s
    default_backend action_servers

backend action_servers
    balance leastconn
    option httpchk GET /health
{actions}

listen stats
    bind 127.0.0.1:{ports.stats}
    stats enable
    stats uri /
    stats refresh 5s
"""


def _servers(name: str, ports: tuple[int, ...], maxconn: int) -> str:
    """Health-checked servers, and the same again as unchecked backups: when every check fails
    (a machine too busy to answer a check in time is not down), requests still go out. Requests
    beyond `maxconn` at once wait in HAProxy's queue rather than in a Python server's."""
    active = [f"    server {name}{i} 127.0.0.1:{port} check maxconn {maxconn}" for i, port in enumerate(ports, 1)]
    backup = [f"    server {name}{i}-anyway 127.0.0.1:{port} backup maxconn {maxconn}"
              for i, port in enumerate(ports, 1)]
    return "\n".join(active + backup)
