"""Damaged snapshots (issue 8): a corrupted, tampered or re-pointed snapshot is refused with
:class:`SnapshotError` -- never another exception, never read as different data.

The policy checked here: ``snapshot.read`` returns exactly what was written or raises SnapshotError.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import factory
from imds_audit import snapshot as snap

BOUNDED = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TABLES = sorted(snap.TABLES)
HOSTILE = "<script>{{7*7}}$(id)`x`\u202e本番\n"


def _snapshot() -> snap.Snapshot:
    s = factory.template_group(name=HOSTILE, tokens="optional", hop=2, versions={1: ("optional", None, 2),
                                                                                 2: ("required", "enabled", 1)})
    s.tables["instances"] = snap.conform("instances", [
        {"account_id": factory.A, "region": factory.R, "instance_id": f"i-{n:04d}", "asg_name": HOSTILE,
         "state": "running", "http_tokens": "optional", "hop_limit": 1} for n in range(20)])
    s.tables["imdsv1_usage"] = snap.conform("imdsv1_usage", [
        {"account_id": factory.A, "region": factory.R, "instance_id": "i-0001", "metadata_no_token": 12.5,
         "window_days": 14}])
    s.scope = {"accounts": [factory.A], "regions": [factory.R]}
    s.collected_by = "arn:aws:sts::111111111111:assumed-role/Auditor/session"
    s.settings = {"usage_window_days": 14}
    return s


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pristine") / "snapshot"
    snap.write(_snapshot(), path)
    return path, snap.read(path)


def _copy(pristine, tmp_path_factory) -> os.PathLike:
    src, _ = pristine
    dst = tmp_path_factory.mktemp("copy") / "snapshot"
    shutil.copytree(src, dst)
    return dst


def _facts(s: snap.Snapshot) -> dict:
    return {"scope": s.scope, "api_calls": s.api_calls, "collected_at": s.collected_at,
            "collected_by": s.collected_by, "tool_version": s.tool_version, "settings": s.settings}


def assert_same(got: snap.Snapshot, want: snap.Snapshot) -> None:
    for name in snap.TABLES:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)
    assert _facts(got) == _facts(want)


def _corrupt(path, edits) -> bytes:
    data = bytearray(path.read_bytes())
    for pos, byte in edits:
        data[pos % len(data)] = byte
    path.write_bytes(bytes(data))
    return bytes(data)


def _rehash(path, table) -> None:
    mpath = path / snap.MANIFEST
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["tables"][table]["sha256"] = hashlib.sha256((path / f"{table}.parquet").read_bytes()).hexdigest()
    mpath.write_text(json.dumps(manifest), encoding="utf-8")


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6)


def read_or_refuse(path, want):
    """The property: identical data, or SnapshotError. Returns the error (or None)."""
    try:
        got = snap.read(path)
    except snap.SnapshotError as exc:
        assert "\n" not in str(exc).strip(), "one-line reason"
        return exc
    assert_same(got, want)
    return None


# ---- 4. random byte corruption ----------------------------------------------------------------------
@BOUNDED
@given(table=st.sampled_from(TABLES), edits=EDITS)
def test_corrupt_parquet_is_refused(pristine, tmp_path_factory, table, edits):
    path = _copy(pristine, tmp_path_factory)
    target = path / f"{table}.parquet"
    before = target.read_bytes()
    after = _corrupt(target, edits)
    exc = read_or_refuse(path, pristine[1])
    if after != before:
        assert exc is not None and f"{table}.parquet" in str(exc)


@BOUNDED
@given(table=st.sampled_from(TABLES), edits=EDITS)
def test_corrupt_parquet_with_matching_hash_raises_only_snapshot_error(pristine, tmp_path_factory, table,
                                                                       edits):
    """Damage the hash cannot see (the file was damaged before it was hashed, or someone re-hashed it):
    the parquet reader and the column checks must still answer with SnapshotError, not a traceback.
    (Whether the data then differs cannot be known; only the exception type is checked.)"""
    path = _copy(pristine, tmp_path_factory)
    _corrupt(path / f"{table}.parquet", edits)
    _rehash(path, table)
    try:
        snap.read(path)
    except snap.SnapshotError:
        pass


@BOUNDED
@given(edits=EDITS)
def test_corrupt_manifest_is_refused_or_tables_identical(pristine, tmp_path_factory, edits):
    """Every table is exactly what was written, or SnapshotError. The manifest's own facts (who, when,
    the API outcomes) are not hashed -- the manifest is the root of trust and its SHA-256 is the
    snapshot's identity printed in every report -- so a flip inside one of its strings reads as a
    different string with a different digest; wrongly *typed* facts are the tests below."""
    path = _copy(pristine, tmp_path_factory)
    before = (path / snap.MANIFEST).read_bytes()
    after = _corrupt(path / snap.MANIFEST, edits)
    try:
        got = snap.read(path)
    except snap.SnapshotError as exc:
        assert "\n" not in str(exc).strip()
        return
    for name in snap.TABLES:
        pd.testing.assert_frame_equal(got[name], pristine[1][name], check_exact=True)
    if after != before:
        assert got.digest != pristine[1].digest


# Structural damage the byte flips rarely reach: a value of the wrong JSON type in one place.
def _set(path, place, value) -> None:
    mpath = path / snap.MANIFEST
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    *parents, last = place.split(".")
    node = manifest
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    mpath.write_text(json.dumps(manifest), encoding="utf-8")


WRONG = [None, 0, 7, True, "", "text", [], ["x"], {}, {"k": "v"}, 1.5]


@BOUNDED
@given(place=st.sampled_from(["kind", "schema_version", "tables.images.sha256"]),
       value=st.sampled_from([v for v in WRONG if not isinstance(v, dict)]))
def test_manifest_wrong_types_already_refused(pristine, tmp_path_factory, place, value):
    """Where read() already checks the type: wrong kind, schema_version, a table's hash."""
    if place == "schema_version" and value is True:  # covered by test_manifest_wrong_types_are_refused
        value = "1"
    path = _copy(pristine, tmp_path_factory)
    _set(path, place, value)
    with pytest.raises(snap.SnapshotError):
        snap.read(path)


@pytest.mark.parametrize("place,value", [("tables", 7), ("tables", True), ("tables.auto_scaling_groups", "text"),
                                         ("tables.instances", ["x"]), ("tables.images", None),
                                         ("api_calls", 7), ("api_calls", 1.5)])
def test_manifest_wrong_types_raise_snapshot_error_not_a_traceback(pristine, tmp_path_factory, place, value):
    path = _copy(pristine, tmp_path_factory)
    _set(path, place, value)
    with pytest.raises(snap.SnapshotError):
        snap.read(path)


@pytest.mark.parametrize("place,value", [("api_calls", "text"), ("api_calls.0", 7), ("api_calls.0", {"k": "v"}),
                                         ("api_calls.0.outcome", "bogus"), ("scope", "text"),
                                         ("settings", []), ("collected_at", 7), ("collected_by", ["x"]),
                                         ("tool_version", {}), ("schema_version", True)])
def test_manifest_wrong_types_are_refused(pristine, tmp_path_factory, place, value):
    path = _copy(pristine, tmp_path_factory)
    _set(path, place, value)
    with pytest.raises(snap.SnapshotError):
        snap.read(path)


# ---- tampering -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("table", ["auto_scaling_groups", "launch_template_versions", "instances"])
def test_valid_parquet_of_different_content_is_refused_naming_the_file(pristine, tmp_path_factory, table):
    """The file is sound parquet with the right columns, but not what was collected (here: the
    non-compliant group made compliant); its hash no longer matches the manifest."""
    path = _copy(pristine, tmp_path_factory)
    frame = pristine[1][table].copy()
    if "http_tokens" in frame:
        frame["http_tokens"] = "required"
    else:
        frame["asg_name"] = "renamed"
    frame.to_parquet(path / f"{table}.parquet", index=False)
    with pytest.raises(snap.SnapshotError, match=rf"{table}\.parquet does not match the hash"):
        snap.read(path)


def test_rehashed_parquet_with_wrong_column_types_is_refused(pristine, tmp_path_factory):
    """A re-hashed table whose columns exist but hold the wrong type (text in an integer column) is a
    snapshot this tool did not write: SnapshotError, not a pandas ValueError/TypeError."""
    path = _copy(pristine, tmp_path_factory)
    frame = pristine[1]["launch_template_versions"].astype(object)
    frame["hop_limit"] = "two"
    frame.to_parquet(path / "launch_template_versions.parquet", index=False)
    _rehash(path, "launch_template_versions")
    with pytest.raises(snap.SnapshotError, match="launch_template_versions"):
        snap.read(path)


# ---- symlinks ------------------------------------------------------------------------------------------
# Decision: a table file may be a symlink, also to a file outside the snapshot, and is read when its
# content has the manifest's hash. Integrity is by content (the SHA-256 in the manifest), not by
# location: a snapshot checked out with git-annex or DVC, or de-duplicated with `cp -s`, is made of
# symlinks and must stay readable; a symlink cannot change what is read without failing the hash.
# A link to anything else (other content, a directory, nothing) is refused with SnapshotError.
def test_symlink_to_identical_file_outside_is_read(pristine, tmp_path_factory):
    path = _copy(pristine, tmp_path_factory)
    outside = tmp_path_factory.mktemp("elsewhere") / "asg.parquet"
    shutil.move(path / "auto_scaling_groups.parquet", outside)
    (path / "auto_scaling_groups.parquet").symlink_to(outside)
    assert_same(snap.read(path), pristine[1])


@pytest.mark.parametrize("target", ["other_table", "directory", "dangling", "dev_null"])
def test_symlink_to_anything_else_is_refused(pristine, tmp_path_factory, target):
    path = _copy(pristine, tmp_path_factory)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    dest = {"other_table": path / "images.parquet", "directory": elsewhere,
            "dangling": elsewhere / "missing.parquet", "dev_null": "/dev/null"}[target]
    link = path / "auto_scaling_groups.parquet"
    link.unlink()
    link.symlink_to(dest)
    with pytest.raises(snap.SnapshotError, match="auto_scaling_groups.parquet"):
        snap.read(path)


def test_manifest_symlink_to_other_snapshot_is_read_as_that_snapshot_only_if_tables_match(
        pristine, tmp_path_factory):
    """manifest.json linked to another snapshot's manifest: the tables here must match its hashes."""
    path = _copy(pristine, tmp_path_factory)
    other = tmp_path_factory.mktemp("other") / "snapshot"
    changed = _snapshot()
    changed.tables["instances"] = changed.tables["instances"].head(3)
    snap.write(changed, other)
    (path / snap.MANIFEST).unlink()
    (path / snap.MANIFEST).symlink_to(other / snap.MANIFEST)
    with pytest.raises(snap.SnapshotError, match="instances.parquet"):
        snap.read(path)


# ---- manifest integrity (issue 16.7) -------------------------------------------------------------------
def test_row_counts_are_checked(pristine, tmp_path_factory):
    """A table re-hashed after rows were dropped is sound parquet with the right hash: the row count
    in the manifest still tells."""
    path = _copy(pristine, tmp_path_factory)
    pristine[1]["instances"].head(3).to_parquet(path / "instances.parquet", index=False)
    _rehash(path, "instances")
    with pytest.raises(snap.SnapshotError, match=r"instances.parquet holds 3 rows, the manifest says 20"):
        snap.read(path)


def test_deeply_nested_manifest_is_one_line_not_a_recursion_error(pristine, tmp_path_factory):
    path = _copy(pristine, tmp_path_factory)
    (path / snap.MANIFEST).write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(snap.SnapshotError, match="damaged manifest") as exc:
        snap.read(path)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("place,value", [
    ("settings.usage_window_days", "fourteen"), ("settings.usage_window_days", True),
    ("settings.usage_window_days", -1), ("settings.usage_window_days", None),
    ("settings.anything", {"nested": []}), ("scope.accounts", {"111111111111": True}),
    ("scope.accounts", [7]), ("scope.regions", "us-east-1"), ("tables.images.rows", "12"),
    ("tables.images.rows", -1), ("tables.images.rows", True), ("tables.images.rows", None)])
def test_manifest_facts_of_the_wrong_kind_are_refused(pristine, tmp_path_factory, place, value):
    path = _copy(pristine, tmp_path_factory)
    _set(path, place, value)
    with pytest.raises(snap.SnapshotError, match="damaged manifest") as exc:
        snap.read(path)
    assert "\n" not in str(exc.value)


def test_a_schema_3_snapshot_written_before_the_node_groups_own_groups_is_read(pristine, tmp_path_factory):
    """eks_nodegroups.auto_scaling_groups came after schema 3's first release (snapshot.LATER_IN_3): such a
    snapshot is read, the column NA (analyze.owner then takes the eks: tags as they are); another missing
    column is still a refusal."""
    import pyarrow.parquet as pq

    path = _copy(pristine, tmp_path_factory)
    table = path / "eks_nodegroups.parquet"
    pq.write_table(pq.read_table(table).drop(["auto_scaling_groups"]), table)
    _rehash(path, "eks_nodegroups")
    got = snap.read(path)["eks_nodegroups"]
    assert "auto_scaling_groups" in got.columns and got["auto_scaling_groups"].isna().all()
    pq.write_table(pq.read_table(table).drop(["outcome"]), table)
    _rehash(path, "eks_nodegroups")
    with pytest.raises(snap.SnapshotError, match="lacks columns"):
        snap.read(path)
