"""The snapshot contract: atomic write, validated read, clear refusals."""

import json
import os

import pytest

from factory import template_group
from imds_audit import snapshot as snap


def test_round_trip_keeps_tables_and_facts(tmp_path):
    s = template_group(tokens="required")
    s.scope = {"accounts": ["111111111111"], "regions": ["us-east-1"]}
    path = snap.write(s, tmp_path / "snap")
    back = snap.read(path)
    assert back.scope == s.scope
    assert back.api_calls == s.api_calls
    for name in snap.TABLES:
        assert list(back[name].columns) == list(snap.TABLES[name])
        assert len(back[name]) == len(s[name])
    assert back["launch_template_versions"].loc[0, "http_tokens"] == "required"
    assert len(back.digest) == 64


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    s = template_group()
    calls = {"n": 0}
    real = type(s["images"]).to_parquet

    def explode(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(type(s["images"]), "to_parquet", explode)
    with pytest.raises(KeyboardInterrupt):
        snap.write(s, tmp_path / "snap")
    assert os.listdir(tmp_path) == []


def test_rewrite_replaces_an_existing_snapshot_whole(tmp_path):
    snap.write(template_group(tokens="optional"), tmp_path / "s")
    snap.write(template_group(tokens="required"), tmp_path / "s")
    assert snap.read(tmp_path / "s")["launch_template_versions"].loc[0, "http_tokens"] == "required"
    assert sorted(os.listdir(tmp_path)) == ["s"]


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("precious")
    with pytest.raises(snap.SnapshotError, match="not a snapshot"):
        snap.write(template_group(), tmp_path / "docs")
    assert (tmp_path / "docs" / "thesis.txt").read_text() == "precious"


@pytest.fixture
def written(tmp_path):
    return snap.write(template_group(), tmp_path / "snap")


def test_not_a_snapshot(tmp_path):
    with pytest.raises(snap.SnapshotError, match="no manifest.json"):
        snap.read(tmp_path)
    with pytest.raises(snap.SnapshotError, match="does not exist"):
        snap.read(tmp_path / "nope")


def test_truncated_table_is_refused(written):
    target = written / "launch_template_versions.parquet"
    target.write_bytes(target.read_bytes()[:50])
    with pytest.raises(snap.SnapshotError, match="does not match the hash"):
        snap.read(written)


def test_missing_table_is_refused(written):
    (written / "images.parquet").unlink()
    with pytest.raises(snap.SnapshotError, match="images.parquet is missing"):
        snap.read(written)


def test_future_schema_is_refused(written):
    m = json.loads((written / "manifest.json").read_text())
    m["schema_version"] = snap.SCHEMA_VERSION + 1
    (written / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(snap.SnapshotError, match="newer than this tool reads"):
        snap.read(written)


def test_schema_1_is_read_through_its_migration_and_says_what_it_lacks(written):
    """Schema 2 added permissions-boundary rows to role_policies; a schema-1 snapshot (none) is read
    as it is, and the snapshot says what a report built from it lacks."""
    assert snap.read(written).schema_version == snap.SCHEMA_VERSION == 3
    assert snap.read(written).migration_note == ""
    m = json.loads((written / "manifest.json").read_text())
    m["schema_version"] = 1
    (written / "manifest.json").write_text(json.dumps(m))
    old = snap.read(written)
    assert old.schema_version == 1 and "permissions boundaries" in old.migration_note
    assert "asg_instances" in old.migration_note
    assert old["auto_scaling_groups"].equals(template_group()["auto_scaling_groups"])


def _as_schema_2(path):
    """Rewrite a snapshot as schema 2 wrote it: without the tables and columns schema 3 added."""
    import hashlib

    import pandas as pd
    m = json.loads((path / "manifest.json").read_text())
    m["schema_version"] = 2
    for table in snap.ADDED_IN_3["tables"]:
        (path / f"{table}.parquet").unlink()
        del m["tables"][table]
    for table, cols in snap.ADDED_IN_3["columns"].items():
        target = path / f"{table}.parquet"
        pd.read_parquet(target).drop(columns=list(cols)).to_parquet(target, index=False)
        m["tables"][table]["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(m))


def test_schema_2_is_read_with_the_new_tables_empty_and_columns_na(tmp_path):
    """Schema 3 added tables (asg_instances, missing_*, ssm_parameters) and columns (all MetadataOptions
    fields, the usage status): a schema-2 snapshot reads with them empty / NA and says what it lacks."""
    s = template_group(tokens="optional", extra_tables={"imdsv1_usage": [
        {"account_id": "111111111111", "region": "us-east-1", "instance_id": "i-1", "metadata_no_token": 0.0,
         "status": "Complete", "window_days": 14}]})
    path = snap.write(s, tmp_path / "s")
    _as_schema_2(path)
    old = snap.read(path)
    assert old.schema_version == 2 and "asg_instances" in old.migration_note
    for table in snap.ADDED_IN_3["tables"]:
        assert old[table].empty and list(old[table].columns) == list(snap.TABLES[table])
    assert old["imdsv1_usage"]["status"].isna().all()
    assert old["imdsv1_usage"]["metadata_no_token"].tolist() == [0.0]
    assert old["launch_template_versions"]["instance_metadata_tags"].isna().all()
    assert old["launch_template_versions"].loc[0, "http_tokens"] == "optional"


def test_schema_3_must_have_every_table_and_column(written):
    """What schema 3 added is optional only for older schemas."""
    (written / "asg_instances.parquet").unlink()
    m = json.loads((written / "manifest.json").read_text())
    del m["tables"]["asg_instances"]
    (written / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(snap.SnapshotError, match="does not list table 'asg_instances'"):
        snap.read(written)


def test_schema_without_a_migration_is_refused(written):
    m = json.loads((written / "manifest.json").read_text())
    m["schema_version"] = 0
    (written / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(snap.SnapshotError, match="no migration exists"):
        snap.read(written)


def test_damaged_manifest_is_refused(written):
    (written / "manifest.json").write_text("{not json")
    with pytest.raises(snap.SnapshotError, match="damaged manifest"):
        snap.read(written)


def test_foreign_manifest_is_refused(written):
    (written / "manifest.json").write_text(json.dumps({"kind": "something-else", "schema_version": 1}))
    with pytest.raises(snap.SnapshotError, match="not an imds-audit snapshot"):
        snap.read(written)


def test_unexpected_columns_are_rejected_on_write():
    with pytest.raises(ValueError, match="unexpected columns"):
        snap.conform("images", [{"image_id": "ami-1", "user_data": "secret"}])
