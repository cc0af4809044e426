"""Build snapshots from a few rows, for verdict tests on snapshot data (no AWS, no moto)."""

from __future__ import annotations

from imds_audit import snapshot as snap

A, R = "111111111111", "us-east-1"
READ_APIS = ("GetInstanceMetadataDefaults", "DescribeImages", "GetMetricData")


def ok_calls(account=A, region=R, apis=READ_APIS, outcome="ok"):
    return [{"account_id": account, "region": region, "api": api, "outcome": outcome, "message": ""}
            for api in apis]


def template_group(name="g", tokens=None, endpoint=None, hop=None, version="$Default", default=1,
                   latest=1, versions=None, image_id="ami-1", imds_support=None, defaults=None,
                   calls=None, region=R, account=A, extra_tables=None):
    """A group launching from template lt-1; ``versions`` maps number → (tokens, endpoint, hop)."""
    versions = versions or {1: (tokens, endpoint, hop)}
    tables = {
        "auto_scaling_groups": [{"account_id": account, "region": region, "asg_name": name,
                                 "launch_kind": "launch_template", "tags": "{}"}],
        "launch_sources": [{"account_id": account, "region": region, "asg_name": name,
                            "source_kind": "launch_template", "position": "single",
                            "launch_template_id": "lt-1", "launch_template_name": "tpl",
                            "version_requested": version}],
        "launch_templates": [{"account_id": account, "region": region, "launch_template_id": "lt-1",
                              "launch_template_name": "tpl", "default_version": default,
                              "latest_version": latest}],
        "launch_template_versions": [
            {"account_id": account, "region": region, "launch_template_id": "lt-1",
             "launch_template_name": "tpl", "version_number": n, "http_tokens": t, "http_endpoint": e,
             "hop_limit": h, "image_id": image_id} for n, (t, e, h) in versions.items()],
        "images": [{"account_id": account, "region": region, "image_id": image_id,
                    "imds_support": imds_support}] if image_id else [],
        "metadata_defaults": [{"account_id": account, "region": region, **(defaults or {})}],
    }
    for k, v in (extra_tables or {}).items():
        tables[k] = tables.get(k, []) + v
    return snap.new(tables, api_calls=ok_calls(account, region) if calls is None else calls)
