"""The snapshot: the evidence contract between ``collect`` and everything else.

A snapshot is a directory holding ``manifest.json`` and one parquet file per table below. Writes are
atomic (a temporary sibling directory renamed into place); reads validate the schema version, the
presence and hash of every table and the columns of each, and refuse anything else with a one-line
reason (:class:`SnapshotError`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from imds_audit import __version__

SCHEMA_VERSION = 2
# Older schemas this tool still reads, and what a report built from one lacks. Tables and columns are
# unchanged from 1 to 2; schema 2 added "boundary" rows to role_policies, which a schema-1 reader would
# take for grants, hence the new number.
MIGRATIONS = {
    1: "written before permissions boundaries were collected: privilege tiers ignore any boundary",
}
MANIFEST = "manifest.json"

# Every table, its columns and their pandas dtypes. "string" columns are nullable: None means the
# API did not return the field (which matters: an omitted HttpEndpoint is *enabled*).
TABLES: dict[str, dict[str, str]] = {
    "auto_scaling_groups": {
        "account_id": "string", "region": "string", "asg_name": "string", "asg_arn": "string",
        "launch_kind": "string",  # launch_template | launch_configuration | mixed_instances_policy | none
        "desired_capacity": "Int64", "min_size": "Int64", "max_size": "Int64",
        "tags": "string",  # JSON object of the allowed tag keys only
    },
    # One row per thing a group can launch from: its launch configuration, its launch template, or
    # under a mixed instances policy the base template and every override that names a template.
    "launch_sources": {
        "account_id": "string", "region": "string", "asg_name": "string",
        "source_kind": "string",  # launch_template | launch_configuration
        "position": "string",  # single | base | override:<n>
        "launch_template_id": "string", "launch_template_name": "string",
        "version_requested": "string",  # as the group names it: $Default, $Latest or a number
        "launch_configuration_name": "string",
    },
    "launch_templates": {
        "account_id": "string", "region": "string", "launch_template_id": "string",
        "launch_template_name": "string", "default_version": "Int64", "latest_version": "Int64",
    },
    "launch_template_versions": {
        "account_id": "string", "region": "string", "launch_template_id": "string",
        "launch_template_name": "string", "version_number": "Int64",
        "http_tokens": "string", "http_endpoint": "string", "hop_limit": "Int64",
        "image_id": "string", "instance_type": "string",
        "iam_instance_profile_arn": "string", "iam_instance_profile_name": "string",
    },
    "launch_configurations": {
        "account_id": "string", "region": "string", "launch_configuration_name": "string",
        "http_tokens": "string", "http_endpoint": "string", "hop_limit": "Int64",
        "image_id": "string", "instance_type": "string", "iam_instance_profile": "string",
    },
    "instances": {
        "account_id": "string", "region": "string", "instance_id": "string", "asg_name": "string",
        "state": "string", "launch_template_id": "string", "launch_template_version": "string",
        "launch_configuration_name": "string", "http_tokens": "string", "http_endpoint": "string",
        "hop_limit": "Int64", "image_id": "string", "iam_instance_profile_arn": "string",
    },
    "images": {
        "account_id": "string", "region": "string", "image_id": "string", "name": "string",
        "imds_support": "string",
    },
    "metadata_defaults": {
        "account_id": "string", "region": "string", "http_tokens": "string", "http_endpoint": "string",
        "hop_limit": "Int64", "http_tokens_enforced": "string", "managed_by": "string",
    },
    "instance_profiles": {
        "account_id": "string", "instance_profile_name": "string", "instance_profile_arn": "string",
        "role_name": "string", "role_arn": "string",
    },
    "role_policies": {
        "account_id": "string", "role_name": "string", "role_arn": "string",
        # managed | inline | boundary (the role's permissions boundary: a cap, not a grant; since schema 2)
        # | none (the role has no policy at all)
        "policy_kind": "string",
        "policy_name": "string", "policy_arn": "string", "document": "string",  # JSON text
    },
    "imdsv1_usage": {
        "account_id": "string", "region": "string", "instance_id": "string",
        "metadata_no_token": "Float64", "window_days": "Int64",
    },
}

# Outcomes recorded per (account, region, API) in the manifest.
OUTCOMES = ("ok", "access_denied", "throttled", "not_implemented", "error")


class SnapshotError(Exception):
    """A snapshot that cannot be trusted; the message says why, in one line."""


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the table's columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TABLES[table].items()})


def conform(table: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Rows as a frame with exactly the table's columns, in order, with their dtypes."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows)
    unknown = set(frame.columns) - set(TABLES[table])
    if unknown:
        raise ValueError(f"{table}: unexpected columns {sorted(unknown)}")
    out = empty(table) if frame.empty else frame
    for col, dtype in TABLES[table].items():
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=dtype, index=out.index)
        else:
            out[col] = out[col].astype(dtype)
    return out[list(TABLES[table])].reset_index(drop=True)


@dataclass
class Snapshot:
    """The tables plus the manifest's facts."""

    tables: dict[str, pd.DataFrame]
    scope: dict = field(default_factory=dict)  # {"accounts": [...], "regions": [...]}
    api_calls: list[dict] = field(default_factory=list)  # account_id, region, api, outcome, message
    collected_at: str = ""
    collected_by: str = ""
    tool_version: str = __version__
    settings: dict = field(default_factory=dict)  # e.g. {"usage_window_days": 14}
    path: Path | None = None
    digest: str = ""
    schema_version: int = SCHEMA_VERSION  # as written; an older one was read through MIGRATIONS

    @property
    def migration_note(self) -> str:
        """What a report built from an older schema lacks ("" for the current schema)."""
        return MIGRATIONS.get(self.schema_version, "") if self.schema_version != SCHEMA_VERSION else ""

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def calls(self) -> pd.DataFrame:
        cols = ["account_id", "region", "api", "outcome", "message"]
        return pd.DataFrame.from_records(self.api_calls, columns=cols).astype("string")


def new(tables: dict[str, list[dict] | pd.DataFrame], **facts) -> Snapshot:
    """A snapshot from collected rows; missing tables are empty."""
    conformed = {name: conform(name, tables.get(name, [])) for name in TABLES}
    facts.setdefault("collected_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return Snapshot(tables=conformed, **facts)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write(snapshot: Snapshot, out: str | os.PathLike) -> Path:
    """Write atomically: everything goes to a temporary sibling, which is renamed into place.

    An interrupted write leaves no directory at ``out``; an existing snapshot at ``out`` is replaced
    only once the new one is complete.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise SnapshotError(f"{out} exists and is not a snapshot; refusing to overwrite it")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        hashes = {}
        for name in TABLES:
            target = tmp / f"{name}.parquet"
            snapshot.tables[name].to_parquet(target, index=False)
            hashes[name] = _sha256(target)
        manifest = {
            "kind": "imds-audit-snapshot",
            "schema_version": SCHEMA_VERSION,
            "tool_version": snapshot.tool_version,
            "collected_at": snapshot.collected_at,
            "collected_by": snapshot.collected_by,
            "scope": snapshot.scope,
            "settings": snapshot.settings,
            "api_calls": snapshot.api_calls,
            "tables": {n: {"sha256": hashes[n], "rows": len(snapshot.tables[n])} for n in TABLES},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, trash / "old")
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    snapshot.path = out
    snapshot.digest = manifest_digest(out)
    return out


def manifest_digest(path: Path) -> str:
    """The snapshot's identity: the SHA-256 of its manifest (which holds every table's hash)."""
    return _sha256(Path(path) / MANIFEST)


def read(path: str | os.PathLike) -> Snapshot:
    """Read and validate a snapshot; raise :class:`SnapshotError` with the reason if it is not sound."""
    path = Path(path)
    if not path.is_dir():
        raise SnapshotError(f"{path}: not a snapshot directory (it does not exist or is a file)")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise SnapshotError(f"{path}: not a snapshot (no {MANIFEST})")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{mpath}: damaged manifest ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "imds-audit-snapshot":
        raise SnapshotError(f"{mpath}: not an imds-audit snapshot manifest")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):  # JSON true is not version 1
        raise SnapshotError(f"{mpath}: schema_version missing or not a number")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{path}: snapshot schema {version} is newer than this tool reads ({SCHEMA_VERSION}); "
            "upgrade imds-audit")
    if version < SCHEMA_VERSION and version not in MIGRATIONS:
        raise SnapshotError(f"{path}: snapshot schema {version} is older than {SCHEMA_VERSION} and "
                            "no migration exists for it")
    _check_shape(mpath, manifest)
    listed = manifest["tables"]
    tables = {}
    for name, columns in TABLES.items():
        tpath = path / f"{name}.parquet"
        if name not in listed:
            raise SnapshotError(f"{path}: manifest does not list table {name!r}")
        if not tpath.is_file():
            raise SnapshotError(f"{path}: table file {tpath.name} is missing")
        if _sha256(tpath) != listed[name].get("sha256"):
            raise SnapshotError(f"{path}: {tpath.name} does not match the hash in the manifest "
                                "(truncated or modified after collection)")
        try:
            frame = pd.read_parquet(tpath)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise SnapshotError(f"{path}: {tpath.name} is not readable parquet ({_one_line(exc)})") from None
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SnapshotError(f"{path}: {tpath.name} lacks columns {missing}")
        try:
            tables[name] = conform(name, frame[list(columns)])
        except Exception as exc:  # a column holding values of another type: not a table we wrote
            raise SnapshotError(
                f"{path}: {tpath.name} has a column of the wrong type ({_one_line(exc)})") from None
    snap = Snapshot(
        tables=tables,
        scope=manifest.get("scope") or {},
        api_calls=list(manifest.get("api_calls") or []),
        collected_at=manifest.get("collected_at") or "",
        collected_by=manifest.get("collected_by") or "",
        tool_version=manifest.get("tool_version") or "",
        settings=manifest.get("settings") or {},
        path=path,
        schema_version=version,
    )
    snap.digest = manifest_digest(path)
    return snap


API_CALL_KEYS = ("account_id", "region", "api", "outcome", "message")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _check_shape(mpath: Path, manifest: dict) -> None:
    """Refuse a manifest whose facts have the wrong JSON types, so that damage is never read as
    different facts (a string of API outcomes iterated as characters, a list taken for settings)."""
    def bad(what: str) -> SnapshotError:
        return SnapshotError(f"{mpath}: damaged manifest ({what})")

    listed = manifest.get("tables")
    if not isinstance(listed, dict):
        raise bad("'tables' is not an object")
    for name, entry in listed.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise bad(f"the entry of table {name[:60]!r} is not an object with a sha256 string")
    for key in ("scope", "settings"):
        if key in manifest and not isinstance(manifest[key], dict):
            raise bad(f"'{key}' is not an object")
    for key in ("collected_at", "collected_by", "tool_version"):
        if key in manifest and not isinstance(manifest[key], str):
            raise bad(f"'{key}' is not a string")
    calls = manifest.get("api_calls", [])
    if not isinstance(calls, list):
        raise bad("'api_calls' is not a list")
    for n, call in enumerate(calls):
        if not isinstance(call, dict) or set(call) != set(API_CALL_KEYS):
            raise bad(f"api_calls[{n}] is not an object with the keys {', '.join(API_CALL_KEYS)}")
        if call["outcome"] not in OUTCOMES:
            raise bad(f"api_calls[{n}] has the unknown outcome {str(call['outcome'])[:40]!r}")
        if not all(v is None or isinstance(v, str) for v in call.values()):
            raise bad(f"api_calls[{n}] holds a value that is not a string")


def local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
