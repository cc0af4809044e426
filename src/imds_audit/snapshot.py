"""The snapshot: the evidence contract between ``collect`` and everything else.

A snapshot is a directory holding ``manifest.json`` and one parquet file per table below. Writes are
atomic (a temporary sibling directory renamed into place); reads validate the schema version, the
manifest's shape, the presence, hash and row count of every table and the columns of each, and a
signature when there is one (signature.py), and refuse anything else with a one-line reason
(:class:`SnapshotError`). ``Snapshot.signature`` says whether the manifest was signed, by which key
(its fingerprint), and whether that key was the one the reader required.
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
from imds_audit import signature as signing

SCHEMA_VERSION = 3
# Columns added to schema 3 after its first release (read as NA where absent): the node groups' own
# Auto Scaling groups. Without them a group's eks: tags are taken as they are (analyze.owner).
LATER_IN_3 = {"eks_nodegroups": ("auto_scaling_groups",)}
# What schema 3 added (tables and columns a schema-1 or -2 snapshot lacks; read as empty / NA).
ADDED_IN_3 = {
    "tables": ("asg_instances", "missing_launch_templates", "missing_launch_configurations",
               "missing_images", "ssm_parameters", "eks_nodegroups"),
    "columns": {
        "launch_template_versions": ("http_protocol_ipv6", "instance_metadata_tags", "metadata_options_state"),
        "instances": ("http_protocol_ipv6", "instance_metadata_tags", "metadata_options_state"),
        "metadata_defaults": ("instance_metadata_tags",),
        "imdsv1_usage": ("status",),
        "launch_templates": ("tags",),
    },
}
_LACKS_3 = ("written before schema 3: no Auto Scaling instance list (asg_instances), no record of "
            "templates, launch configurations or AMIs that do not exist, no SSM-resolved AMIs, no "
            "InstanceMetadataTags/HttpProtocolIpv6, and IMDSv1 usage without a status (a 0 may mean "
            "not read); launch_sources may lack the id of a template named by name; no owner tag values "
            "(EKS cluster and node group, Beanstalk environment, CloudFormation stack) and no EKS "
            "node groups")
# Older schemas this tool still reads, and what a report built from one lacks. Schema 2 added
# "boundary" rows to role_policies, which a schema-1 reader would take for grants; schema 3 the
# tables and columns in ADDED_IN_3.
MIGRATIONS = {
    1: "written before permissions boundaries were collected: privilege tiers ignore any boundary; "
       + _LACKS_3,
    2: _LACKS_3,
}
MANIFEST = "manifest.json"

# Every table, its columns and their pandas dtypes. "string" columns are nullable: None means the
# API did not return the field (which matters: an omitted HttpEndpoint is *enabled*). The
# MetadataOptions columns are those of collect/metadata.py: every field botocore's model lists.
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
        # Since schema 3 the id is filled in when the group names the template by name only and the
        # template exists (the name is kept as the group gave it); NA: not found or not read.
        "launch_template_id": "string", "launch_template_name": "string",
        "version_requested": "string",  # as the group names it: $Default, $Latest or a number
        "launch_configuration_name": "string",
    },
    # The instances Auto Scaling lists for each group (DescribeAutoScalingGroups), since schema 3.
    # An instance here but not in `instances` was not described (see the DescribeInstances outcome).
    "asg_instances": {
        "account_id": "string", "region": "string", "asg_name": "string", "instance_id": "string",
        "lifecycle_state": "string",  # InService, Pending, Terminating, Standby, ...
        "health_status": "string",  # Healthy | Unhealthy
        "launch_template_id": "string", "launch_template_version": "string",
        "launch_configuration_name": "string",
    },
    "launch_templates": {
        "account_id": "string", "region": "string", "launch_template_id": "string",
        "launch_template_name": "string", "default_version": "Int64", "latest_version": "Int64",
        "tags": "string",  # JSON object of the owner tags only (CloudFormation, EKS; schema 3)
    },
    # The launch template of each EKS managed node group a group's tags name (schema 3). outcome: read
    # (launch_template_* NA: the node group has no launch template of its own) | not_found | not_read.
    "eks_nodegroups": {
        "account_id": "string", "region": "string", "cluster_name": "string", "nodegroup_name": "string",
        "launch_template_id": "string", "launch_template_name": "string",
        "launch_template_version": "string", "outcome": "string",
        # JSON list of the Auto Scaling groups the node group reports as its own (resources): what
        # confirms a group's eks: tags, which anyone allowed to tag the group can write
        "auto_scaling_groups": "string",
    },
    "launch_template_versions": {
        "account_id": "string", "region": "string", "launch_template_id": "string",
        "launch_template_name": "string", "version_number": "Int64",
        "http_tokens": "string", "http_endpoint": "string", "hop_limit": "Int64",
        "http_protocol_ipv6": "string",  # enabled | disabled (schema 3)
        "instance_metadata_tags": "string",  # enabled | disabled (schema 3)
        "metadata_options_state": "string",  # pending | applied, as EC2 reports it (schema 3)
        "image_id": "string",  # an AMI id, or resolve:ssm:<parameter> (see ssm_parameters)
        "instance_type": "string",
        "iam_instance_profile_arn": "string", "iam_instance_profile_name": "string",
    },
    # Templates or versions a group names that EC2 says do not exist (schema 3): the group cannot
    # launch from them. version is the group's version string, NA when the template itself is missing.
    # error_code: InvalidLaunchTemplateId.NotFound | InvalidLaunchTemplateName.NotFoundException |
    # InvalidLaunchTemplateId.VersionNotFound | InvalidLaunchTemplateId.Malformed | ...
    "missing_launch_templates": {
        "account_id": "string", "region": "string", "launch_template_id": "string",
        "launch_template_name": "string", "version": "string", "error_code": "string",
    },
    # Launch configurations have no State, Ipv6 or tags fields in the Auto Scaling API (botocore model).
    "launch_configurations": {
        "account_id": "string", "region": "string", "launch_configuration_name": "string",
        "http_tokens": "string", "http_endpoint": "string", "hop_limit": "Int64",
        "image_id": "string", "instance_type": "string", "iam_instance_profile": "string",
    },
    # Launch configurations groups name that DescribeLaunchConfigurations did not return in a complete
    # answer: they do not exist (schema 3).
    "missing_launch_configurations": {
        "account_id": "string", "region": "string", "launch_configuration_name": "string",
    },
    "instances": {
        "account_id": "string", "region": "string", "instance_id": "string", "asg_name": "string",
        "state": "string", "launch_template_id": "string", "launch_template_version": "string",
        "launch_configuration_name": "string", "http_tokens": "string", "http_endpoint": "string",
        "hop_limit": "Int64",
        "http_protocol_ipv6": "string", "instance_metadata_tags": "string",
        "metadata_options_state": "string",  # pending: a metadata change not yet in effect (schema 3)
        "image_id": "string", "iam_instance_profile_arn": "string",
    },
    "images": {
        "account_id": "string", "region": "string", "image_id": "string", "name": "string",
        "imds_support": "string",
    },
    # AMIs sources name that EC2 says do not exist (schema 3). error_code NA: the answer left the AMI
    # out without an error, as AWS does for a recently deregistered one.
    "missing_images": {
        "account_id": "string", "region": "string", "image_id": "string", "error_code": "string",
    },
    # AMIs named through SSM (a template's ImageId resolve:ssm:<parameter>), since schema 3. parameter
    # is the text after "resolve:ssm:" (name or ARN, with any :version or :label). image_id is kept only
    # when the value is an AMI id; no other value is ever stored. outcome: resolved | not_found (SSM
    # says no such parameter or version) | not_an_ami | not_read (GetParameters failed, see the
    # manifest) | not_returned (an incomplete answer, see the manifest).
    "ssm_parameters": {
        "account_id": "string", "region": "string", "parameter": "string", "image_id": "string",
        "outcome": "string",
    },
    "metadata_defaults": {
        "account_id": "string", "region": "string", "http_tokens": "string", "http_endpoint": "string",
        "hop_limit": "Int64", "instance_metadata_tags": "string",  # (schema 3)
        "http_tokens_enforced": "string", "managed_by": "string",
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
    # One row per instance Auto Scaling lists (since schema 3; before, per described instance).
    # metadata_no_token is the sum over the window only when status is Complete, else NA. status:
    # Complete | PartialData | InternalError | Forbidden (CloudWatch's StatusCode) | NoResult (the
    # answer held none for the query) | NotRead (the call failed, see the manifest).
    "imdsv1_usage": {
        "account_id": "string", "region": "string", "instance_id": "string",
        "metadata_no_token": "Float64", "status": "string", "window_days": "Int64",
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
    # {"accounts": [...], "regions": [...]}, and when the collection was filtered (collect/filters.py;
    # optional keys, absent from older snapshots, which were never filtered): "filters": {"asg": [globs],
    # "tags": {key: [values]}, "exclude_regions": [...]} and "filtered_out": [{"account_id", "region",
    # "groups": n}] (the groups the filters left out where n > 0; never their names).
    scope: dict = field(default_factory=dict)
    api_calls: list[dict] = field(default_factory=list)  # account_id, region, api, outcome, message
    collected_at: str = ""
    collected_by: str = ""
    tool_version: str = __version__
    settings: dict = field(default_factory=dict)  # e.g. {"usage_window_days": 14}
    path: Path | None = None
    digest: str = ""
    schema_version: int = SCHEMA_VERSION  # as written; an older one was read through MIGRATIONS
    # Who signed the manifest, if anyone (signature.SignatureInfo: signed, fingerprint, verified).
    signature: signing.SignatureInfo = field(default_factory=signing.SignatureInfo)

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


def write(snapshot: Snapshot, out: str | os.PathLike, sign_key=None) -> Path:
    """Write atomically: everything goes to a temporary sibling, which is renamed into place.

    An interrupted write leaves no directory at ``out``; an existing snapshot at ``out`` is replaced
    only once the new one is complete. With ``sign_key`` (an Ed25519 private key, see signature.py)
    the manifest is signed.
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
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        (tmp / MANIFEST).write_bytes(manifest_bytes)
        if sign_key is not None:
            signing.sign(tmp, manifest_bytes, sign_key)
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
    if sign_key is not None:
        snapshot.signature = signing.check(out, manifest_bytes)
    return out


def manifest_digest(path: Path) -> str:
    """The snapshot's identity: the SHA-256 of its manifest (which holds every table's hash)."""
    return _sha256(Path(path) / MANIFEST)


def read(path: str | os.PathLike, verify_key=None) -> Snapshot:
    """Read and validate a snapshot; raise :class:`SnapshotError` with the reason if it is not sound.

    With ``verify_key`` (an Ed25519 public key) the manifest must be signed by that key. A signature
    present is checked either way: one that does not match the manifest is refused.
    """
    path = Path(path)
    if not path.is_dir():
        raise SnapshotError(f"{path}: not a snapshot directory (it does not exist or is a file)")
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise SnapshotError(f"{path}: not a snapshot (no {MANIFEST})")
    raw = mpath.read_bytes()
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{mpath}: damaged manifest ({exc.__class__.__name__}: {_one_line(exc)})") from None
    except RecursionError:
        raise SnapshotError(f"{mpath}: damaged manifest (nested too deeply to be one)") from None
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
    try:
        signed = signing.check(path, raw, verify_key)
    except signing.SignatureError as exc:
        raise SnapshotError(str(exc)) from None
    listed = manifest["tables"]
    tables = {name: _read_table(path, name, listed, version) for name in TABLES}
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
        signature=signed,
    )
    snap.digest = manifest_digest(path)
    return snap


def _read_table(path: Path, name: str, listed: dict, version: int) -> pd.DataFrame:
    """One table, checked against the manifest (hash, row count) and the schema (columns, types). A
    table or column added after the snapshot's schema is read empty / NA (the migration note says so)."""
    columns = TABLES[name]
    tpath = path / f"{name}.parquet"
    if name not in listed:
        if version < 3 and name in ADDED_IN_3["tables"]:
            return empty(name)
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
    added = (ADDED_IN_3["columns"].get(name, ()) if version < 3 else ()) + LATER_IN_3.get(name, ())
    missing = [c for c in columns if c not in frame.columns and c not in added]
    if missing:
        raise SnapshotError(f"{path}: {tpath.name} lacks columns {missing}")
    if len(frame) != listed[name]["rows"]:
        raise SnapshotError(f"{path}: {tpath.name} holds {len(frame)} rows, the manifest says "
                            f"{listed[name]['rows']}")
    try:
        return conform(name, frame[[c for c in columns if c in frame.columns]])
    except Exception as exc:  # a column holding values of another type: not a table we wrote
        raise SnapshotError(
            f"{path}: {tpath.name} has a column of the wrong type ({_one_line(exc)})") from None


API_CALL_KEYS = ("account_id", "region", "api", "outcome", "message")
# Settings the analysis computes with (the usage window) or reports (the collection's bounds).
NUMERIC_SETTINGS = ("usage_window_days", "api_deadline_seconds", "max_attempts", "fallback_calls",
                    "connect_timeout_seconds", "read_timeout_seconds")


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _strings(values) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _check_filters(bad, scope: dict) -> None:
    """The optional filter facts of the scope (Snapshot.scope), when present, have their shape."""
    if "filters" in scope:
        filters = scope["filters"]
        if not isinstance(filters, dict):
            raise bad("scope.filters is not an object")
        for key in ("asg", "exclude_regions"):
            if not _strings(filters.get(key, [])):
                raise bad(f"scope.filters.{key} is not a list of strings")
        tags = filters.get("tags", {})
        if not isinstance(tags, dict) or not all(_strings(v) for v in tags.values()):
            raise bad("scope.filters.tags is not an object of lists of strings")
    rows = scope.get("filtered_out", [])
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("account_id"), str) and isinstance(r.get("region"), str)
            and _count(r.get("groups")) for r in rows):
        raise bad("scope.filtered_out is not a list of {account_id, region, groups} counts")


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
        if not _count(entry.get("rows")):
            raise bad(f"the entry of table {name[:60]!r} has no row count")
    for key in ("scope", "settings"):
        if key in manifest and not isinstance(manifest[key], dict):
            raise bad(f"'{key}' is not an object")
    for key, values in (manifest.get("scope") or {}).items():
        if key in ("accounts", "regions") and not _strings(values):
            raise bad(f"scope.{key} is not a list of strings")
    _check_filters(bad, manifest.get("scope") or {})
    for key, value in (manifest.get("settings") or {}).items():
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise bad(f"settings.{str(key)[:40]} is not a plain value")
        if key in NUMERIC_SETTINGS and (isinstance(value, bool) or not isinstance(value, (int, float))
                                        or value != value or value <= 0):
            raise bad(f"settings.{key} is not a positive number")
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
