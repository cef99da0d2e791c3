"""A stand-in for the hotline platform: sends a call's events, signed, to the running web app.

    python -m bot.hotline.client --operator hw01 [--url http://127.0.0.1:8000] \
        [--calls tests/eval/hotline_calls.yml --call yc-linyi-fire] [--pause 2]

replays one transcript of the eval set as a live call (start, every utterance, end) with a
pause between utterances, so that the operator's panel can be watched filling in. The secret
is HOTLINE_SECRET. Tests and the bench use `HotlineClient` the same way.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.hotline.signing import PREFIX, signed_headers
from bot.settings import PROJECT_ROOT

EVAL_CALLS = PROJECT_ROOT / "tests" / "eval" / "hotline_calls.yml"


class HotlineClient:
    """Signed requests of one platform to one web app; every request gets a fresh nonce."""

    def __init__(self, base_url: str, secret: str, operator_id: str,
                 session: requests.Session | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.operator_id = operator_id
        self.session = session or requests.Session()
        self.timeout = timeout

    def post(self, path: str, payload: dict[str, Any], **header_options: Any) -> requests.Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = signed_headers(self.secret, body, **header_options)
        return self.session.post(f"{self.base_url}{PREFIX}{path}", data=body, headers=headers,
                                 timeout=self.timeout)

    def start(self, call_id: str, ts: float | None = None, caller_number: str | None = None) -> requests.Response:
        payload: dict[str, Any] = {"call_id": call_id, "operator_id": self.operator_id, "ts": ts or time.time()}
        if caller_number:
            payload["caller_number"] = caller_number
        return self.post("/calls/start", payload)

    def say(self, call_id: str, speaker: str, text: str, ts: float | None = None,
            utterance_id: str | None = None) -> requests.Response:
        payload: dict[str, Any] = {"call_id": call_id, "operator_id": self.operator_id, "speaker": speaker,
                                   "text": text, "ts": ts or time.time()}
        if utterance_id:
            payload["utterance_id"] = utterance_id
        return self.post("/utterances", payload)

    def end(self, call_id: str, ts: float | None = None) -> requests.Response:
        return self.post("/calls/end", {"call_id": call_id, "operator_id": self.operator_id, "ts": ts or time.time()})


def load_calls(path: Path = EVAL_CALLS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["calls"]


def utterances(call: dict[str, Any]) -> list[tuple[str, str]]:
    """(speaker, text) of a transcript of the eval set."""
    return [next(iter(item.items())) for item in call["utterances"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")
    parser.add_argument("--operator", required=True, help="the operator's console username")
    parser.add_argument("--calls", type=Path, default=EVAL_CALLS)
    parser.add_argument("--call", help="the id of the transcript to replay (default: the first)")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between utterances")
    parser.add_argument("--keep-open", action="store_true", help="do not end the call")
    args = parser.parse_args()
    secret = os.environ.get("HOTLINE_SECRET", "")
    if not secret:
        print("HOTLINE_SECRET is not set.", file=sys.stderr)
        return 1
    transcripts = load_calls(args.calls)
    chosen = next((c for c in transcripts if c["id"] == args.call), None) if args.call else transcripts[0]
    if chosen is None:
        print(f"no transcript {args.call} in {args.calls}", file=sys.stderr)
        return 1
    client = HotlineClient(args.url, secret, args.operator)
    call_id = f"demo-{uuid.uuid4().hex[:8]}"
    print(call_id, client.start(call_id).status_code)
    for speaker, text in utterances(chosen):
        time.sleep(args.pause)
        response = client.say(call_id, speaker, text)
        print(response.status_code, speaker, text)
        if response.status_code != 200:
            print(response.text)
    if not args.keep_open:
        print("end", client.end(call_id).status_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
