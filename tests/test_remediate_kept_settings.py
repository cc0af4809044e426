"""Issue 13.4: a new launch template version's MetadataOptions replaces the source version's whole
structure, so every field the fix does not mean to change (instance metadata tags, the IPv6 endpoint)
is carried over as the snapshot has it, in every channel: the CLI's --launch-template-data, the
Terraform metadata_options block and the console steps. (The moto round trip in test_roundtrip.py
checks the same on the server.)"""

from __future__ import annotations

import json
import shlex

import pytest

from remediation_examples import frames, group, lt_source, remediation_for_group

LT = "lt-0a1b2c3d4e5f60718"


def _findings(**metadata):
    return frames([group("tags-asg")], [lt_source("tags-asg", LT, "tags-lt", "$Default", 3, **metadata)])


def _template_data(cli: str) -> dict:
    """The --launch-template-data of the script's create-launch-template-version, as bash reads it."""
    words = shlex.split(cli.replace("\\\n", " "), comments=True)
    start = words.index("create-launch-template-version")
    return json.loads(words[words.index("--launch-template-data", start) + 1])


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_enabled_tags_and_ipv6_survive_the_fix_in_every_channel(lang):
    g, s, _ = _findings(instance_metadata_tags="enabled", http_protocol_ipv6="enabled")
    parts = remediation_for_group(g, s, "tags-asg", lang)
    assert _template_data(parts["cli"])["MetadataOptions"] == {
        "HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1,
        "InstanceMetadataTags": "enabled", "HttpProtocolIpv6": "enabled"}
    tf = parts["terraform"]
    assert 'instance_metadata_tags      = "enabled"' in tf and 'http_protocol_ipv6          = "enabled"' in tf
    keep_tags = {"en": "**Allow tags in metadata**: leave **Enabled**", "ja": "「メタデータのタグを許可」"}[lang]
    keep_ipv6 = {"en": "**Metadata IPv6 endpoint**: leave **Enabled**",
                 "ja": "「メタデータの IPv6 エンドポイント」"}[lang]
    assert keep_tags in parts["console"] and keep_ipv6 in parts["console"]


def test_disabled_or_unknown_settings_are_not_invented():
    """Disabled is kept as disabled (explicit, harmless); a setting the snapshot does not hold (an older
    snapshot) is left out rather than guessed, and the console says nothing about it."""
    g, s, _ = _findings(instance_metadata_tags="disabled", http_protocol_ipv6=None)
    parts = remediation_for_group(g, s, "tags-asg")
    options = _template_data(parts["cli"])["MetadataOptions"]
    assert options.get("InstanceMetadataTags") == "disabled" and "HttpProtocolIpv6" not in options
    assert "http_protocol_ipv6" not in parts["terraform"]
    assert "Allow tags in metadata" not in parts["console"] and "IPv6" not in parts["console"]


def test_settings_survive_from_the_snapshot_to_the_command():
    """From snapshot rows to the command: the source's own InstanceMetadataTags is not shadowed by the
    account default's column of the same name (which schema 3 also collects)."""
    from factory import template_group

    from imds_audit import pipeline
    from imds_audit.remediate.render import group_cli, prepare
    from imds_audit.remediate import plan_store

    s = template_group(tokens="optional", endpoint="enabled", defaults={"instance_metadata_tags": "disabled"})
    s.tables["launch_template_versions"]["instance_metadata_tags"] = "enabled"
    s.tables["launch_template_versions"]["http_protocol_ipv6"] = "enabled"
    f = pipeline.with_plan(pipeline.analysed(s), s["launch_configurations"], s["launch_templates"])
    plan = prepare(plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources))
    options = _template_data(group_cli(plan.fixes[0]))["MetadataOptions"]
    assert options["InstanceMetadataTags"] == "enabled" and options["HttpProtocolIpv6"] == "enabled"
