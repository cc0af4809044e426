"""How long the collector may keep asking: the bounds on retries, fallbacks and waiting.

Without bounds a fully throttled API turns a collection into an hour of backoff (16 templates took
550 s: one-by-one fallbacks times six botocore attempts). With them, what runs out is recorded as
throttled, naming the bound, and the run goes on. Each bound is a setting: ``Limits(...)`` in code,
or the environment variables below for the command line; they are recorded in the manifest's
settings so a report can say under which bounds the snapshot was collected.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

from botocore.config import Config

ENV = {
    "api_deadline": "IMDS_AUDIT_API_DEADLINE",        # seconds per (account, region, API)
    "max_attempts": "IMDS_AUDIT_MAX_ATTEMPTS",        # botocore attempts per call, the first included
    "retry_mode": "IMDS_AUDIT_RETRY_MODE",            # botocore's adaptive or standard
    "fallback_calls": "IMDS_AUDIT_FALLBACK_CALLS",    # extra calls per (account, region) to isolate gaps
    "connect_timeout": "IMDS_AUDIT_CONNECT_TIMEOUT",  # seconds
    "read_timeout": "IMDS_AUDIT_READ_TIMEOUT",        # seconds
}


@dataclass(frozen=True)
class Limits:
    # Total time one API may take in one account and region, retries and pages included. Generous
    # for a healthy estate (5,000 groups read in seconds); bounds an endpoint that only throttles.
    api_deadline: float = 180.0
    # botocore's own default for the adaptive mode this collector uses.
    max_attempts: int = 6
    # adaptive: botocore also slows the client's sending rate after throttling (kinder to a throttled
    # account, slower); standard: exponential backoff only.
    retry_mode: str = "adaptive"
    # Extra calls made to find which of several named resources does not exist (AWS fails the whole
    # call for one missing id); a storm of them is what the bound stops.
    fallback_calls: int = 100
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    def __post_init__(self):
        if self.retry_mode not in ("adaptive", "standard"):
            raise ValueError(f"{ENV['retry_mode']} / retry_mode must be adaptive or standard, "
                             f"not {str(self.retry_mode)[:40]!r}")
        for f in fields(self):
            if f.name == "retry_mode":
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{ENV[f.name]} / {f.name} must be a positive number, not {value!r}")
        if self.fallback_calls != int(self.fallback_calls) or self.max_attempts != int(self.max_attempts):
            raise ValueError("max_attempts and fallback_calls must be whole numbers")

    @classmethod
    def from_env(cls, env=None) -> Limits:
        """Defaults, overridden by the IMDS_AUDIT_* variables that are set."""
        env = os.environ if env is None else env
        given = {}
        for f in fields(cls):
            text = env.get(ENV[f.name])
            if text is None or not text.strip():
                continue
            if f.name == "retry_mode":
                given[f.name] = text.strip()
                continue
            try:
                given[f.name] = int(text) if f.type in ("int", int) else float(text)
            except ValueError:
                raise ValueError(f"{ENV[f.name]} must be a number, not {text[:40]!r}") from None
        return cls(**given)

    def settings(self) -> dict:
        """The bounds as manifest settings (flat, numbers only)."""
        names = {"api_deadline": "api_deadline_seconds", "connect_timeout": "connect_timeout_seconds",
                 "read_timeout": "read_timeout_seconds"}
        return {names.get(k, k): v for k, v in asdict(self).items()}

    def client_config(self) -> Config:
        return Config(retries={"mode": self.retry_mode, "max_attempts": int(self.max_attempts)},
                      connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                      max_pool_connections=16, user_agent_extra="imds-audit")
