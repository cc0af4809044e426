"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a moto server.

It stands in for what the real AWS endpoints (and the networks in between) do to a collector on a bad
day: throttle (with the real error bodies of each protocol), fail with HTTP 500/503, deny an API, reset
the connection, answer slowly, cut a body short (the connection closes early: "truncated"; or the body
is whole by its Content-Length but half of what was sent: "cut"), or answer 200 with garbage or
nothing at all. boto3 is
pointed at it with AWS_ENDPOINT_URL (or endpoint_url); every request it does not fault is forwarded to
the moto server unchanged.

Faults are chosen per API ("DescribeInstances", or "*" for every API), optionally per region, for the
first ``times`` matching requests or with a ``probability`` (seeded, so runs repeat).
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KINDS = ("throttle", "denied", "http500", "http503", "bare500", "reset", "slow", "truncated", "cut",
         "garbage", "empty")
MAX_DELAY = 5.0  # a slow answer is bounded: the proxy never holds a request longer than this

# (code, status) per protocol family and fault, as AWS answers them.
ERRORS = {
    "ec2": {"throttle": ("RequestLimitExceeded", 503), "denied": ("UnauthorizedOperation", 403),
            "http500": ("InternalError", 500), "http503": ("Unavailable", 503)},
    "query": {"throttle": ("Throttling", 400), "denied": ("AccessDenied", 403),
              "http500": ("InternalFailure", 500), "http503": ("ServiceUnavailable", 503)},
    "json": {"throttle": ("ThrottlingException", 400), "denied": ("AccessDeniedException", 400),
             "http500": ("InternalServerError", 500), "http503": ("ServiceUnavailable", 503)},
    "cbor": {"throttle": ("ThrottlingException", 400), "denied": ("AccessDeniedException", 403),
             "http500": ("InternalServiceError", 500), "http503": ("ServiceUnavailable", 503)},
}
MESSAGES = {"throttle": "Rate exceeded", "denied": "User is not authorized to perform this operation",
            "http500": "An internal error has occurred", "http503": "Service is unavailable"}


@dataclass
class Rule:
    api: str                       # operation name, or "*"
    kind: str                      # one of KINDS
    times: int | None = None       # fault the first N matching requests (None: every one, or by probability)
    probability: float | None = None
    region: str | None = None
    delay: float = 2.0             # for "slow"
    hits: int = 0

    def matches(self, api: str, region: str) -> bool:
        return self.api in ("*", api) and self.region in (None, region)


@dataclass
class Seen:
    api: str
    region: str
    fault: str | None


@dataclass
class FaultProxy:
    upstream: str
    seed: int = 24   # with it, every kind of test_fault_proxy at 30% meets real traffic too
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._nth: dict[tuple, int] = {}   # per (rule, api, region): how many requests it has weighed
        self._server: _Server | None = None

    # -- control --------------------------------------------------------------------------------------
    def fault(self, api: str, kind: str, **kwargs) -> Rule:
        assert kind in KINDS, kind
        rule = Rule(api, kind, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()
            self._nth.clear()

    def calls(self, api: str) -> int:
        return sum(1 for s in self.seen if s.api == api)

    def choose(self, api: str, region: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if not rule.matches(api, region):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                if rule.probability is not None and self._draw(rule, api, region) >= rule.probability:
                    continue
                rule.hits += 1
                self.seen.append(Seen(api, region, rule.kind))
                return rule
            self.seen.append(Seen(api, region, None))
        return None

    def _draw(self, rule: Rule, api: str, region: str) -> float:
        """The chance drawn for this request: a function of the seed, the rule, the API, the region and
        how many such requests came before, so a run repeats whatever order the collector's threads
        send their requests in (and whatever earlier tests sent)."""
        key = (self.rules.index(rule), rule.kind, api, region)
        n = self._nth.get(key, 0)
        self._nth[key] = n + 1
        return random.Random(f"{self.seed}:{key}:{n}").random()

    def __enter__(self) -> str:
        proxy = self

        class Handler(_Handler):
            owner = proxy
        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def identify(headers, path: str, body: bytes) -> tuple[str, str, str]:
    """(protocol family, API, region) of a signed AWS request."""
    found = CREDENTIAL.search(headers.get("Authorization", ""))
    region, service = found.groups() if found else ("", "")
    target = headers.get("X-Amz-Target")
    if target:                                            # JSON protocol (SSM, ...)
        return "json", target.rsplit(".", 1)[-1], region
    if "/operation/" in path:                             # Smithy RPC v2 CBOR (CloudWatch)
        return "cbor", path.rsplit("/operation/", 1)[-1], region
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return ("ec2" if service == "ec2" else "query"), action, region


def error_body(family: str, kind: str) -> tuple[int, dict, bytes]:
    code, status = ERRORS[family][kind]
    message = MESSAGES[kind]
    if family == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
                f'<Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>')
        return status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode()
    if family == "query":
        body = (f'<ErrorResponse xmlns="http://webservices.amazon.com/AWSFault/2005-15-09"><Error>'
                f'<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>'
                f'<RequestId>fault-proxy</RequestId></ErrorResponse>')
        return status, {"Content-Type": "text/xml"}, body.encode()
    if family == "json":
        body = f'{{"__type":"{code}","message":"{message}"}}'
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault-proxy"}, \
            body.encode()
    return status, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor",
                    "x-amzn-RequestId": "fault-proxy"}, \
        _cbor_map({"__type": f"com.amazonaws.cloudwatch#{code}", "message": message})


def _cbor_text(s: str) -> bytes:
    raw = s.encode()
    assert len(raw) < 256
    return (bytes([0x60 + len(raw)]) if len(raw) < 24 else bytes([0x78, len(raw)])) + raw


def _cbor_map(items: dict[str, str]) -> bytes:
    """CBOR (RFC 8949) of a small map of text strings: all an error body needs."""
    return bytes([0xA0 + len(items)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in items.items())


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up on a slow or reset answer is the point, not an error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, *args) -> None:
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        family, api, region = identify(self.headers, self.path, body)
        rule = self.owner.choose(api, region)
        kind = rule.kind if rule else None
        if kind in ("throttle", "denied", "http500", "http503"):
            return self._answer(*error_body(family, kind))
        if kind == "bare500":
            return self._answer(500, {}, b"")
        if kind == "garbage":
            return self._answer(200, {"Content-Type": "text/xml"}, bytes(random.Random(api).randbytes(64)))
        if kind == "empty":
            return self._answer(200, {}, b"")
        if kind == "reset":
            return self._reset()
        if kind == "slow":
            time.sleep(min(rule.delay, MAX_DELAY))
        status, headers, data = self._forward(body)
        if kind == "truncated":
            return self._answer(status, headers, data[: len(data) // 2], declared=len(data), close=True)
        if kind == "cut":
            return self._answer(status, headers, data[: len(data) // 2])
        return self._answer(status, headers, data)

    def _forward(self, body: bytes):
        up = urlsplit(self.owner.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            kept = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            return resp.status, kept, data
        finally:
            conn.close()

    def _answer(self, status: int, headers: dict, data: bytes, declared: int | None = None,
                close: bool = False) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data) if declared is None else declared))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        if close:
            self._reset()

    def _reset(self) -> None:
        """Close with a TCP RST: the client sees the connection reset by peer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.wfile = _Sink()


class _Sink:
    closed = False

    def write(self, data):
        return len(data)

    def flush(self):
        pass

    def close(self):
        pass
