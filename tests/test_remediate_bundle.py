"""The bundle and the per-group API: files, bash syntax, dry run, HCL, both languages, hostile names."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import hcl2
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediation_examples import (
    example_findings,
    frames,
    group,
    lc_source,
    lt_source,
    remediation_for_group,
    write_bundle,
)
from test_remediate_quoting import HOSTILE, hcl_decode


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    write_bundle(*example_findings(), out, "en")
    return out / "remediation"


def fake_aws(tmp_path: Path) -> Path:
    """An `aws` on PATH that records its arguments and fails: a dry run must never call it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text('#!/bin/sh\necho "$@" >> "$AWS_LOG"\nexit 99\n')
    (bin_dir / "aws").chmod(0o755)
    return bin_dir


def test_bundle_files(bundle):
    names = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert names == ["console.ja.md", "console.md", "declarative-policy-imdsv2.json", "remediate.sh",
                     "scp-imdsv2.json", "terraform/fixes.tf", "terraform/preventive.tf"]
    assert (bundle / "remediate.sh").stat().st_mode & stat.S_IXUSR
    script = (bundle / "remediate.sh").read_text()
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    subprocess.run(["bash", "-n", str(bundle / "remediate.sh")], check=True)


def test_dry_run_calls_nothing_and_prints_every_command(bundle, tmp_path):
    log = tmp_path / "aws.log"
    env = dict(os.environ, PATH=f"{fake_aws(tmp_path)}:{os.environ['PATH']}", AWS_LOG=str(log))
    out = subprocess.run(["bash", str(bundle / "remediate.sh")], env=env, capture_output=True, text=True, check=True)
    assert not log.exists()
    printed = [line for line in out.stdout.splitlines() if line.startswith("+ ")]
    script = (bundle / "remediate.sh").read_text()
    assert len(printed) == len(re.findall(r"^\s*(run|capture|to_file) ", script, re.MULTILINE))
    assert "modify-instance-metadata-defaults" in out.stdout and "start-instance-refresh" in out.stdout
    assert "WARNING: IMDSv1 is still being called on group web-asg (412 calls" in out.stderr


def test_apply_stops_at_the_first_failure(bundle, tmp_path):
    log = tmp_path / "aws.log"
    env = dict(os.environ, PATH=f"{fake_aws(tmp_path)}:{os.environ['PATH']}", AWS_LOG=str(log))
    out = subprocess.run(["bash", str(bundle / "remediate.sh"), "--apply"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert log.read_text().splitlines() == ["sts get-caller-identity --query Account --output text"]
    assert "stopped" in out.stderr


def test_terraform_parses_and_carries_the_values(bundle):
    fixes = hcl2.loads((bundle / "terraform" / "fixes.tf").read_text())
    templates = {}
    groups = {}
    for block in fixes["resource"]:
        for kind, body in block.items():
            for res in body.values():
                (templates if kind == '"aws_launch_template"' else groups)[hcl_decode(res["name"])] = res
    assert set(templates) >= {"web-lt", "batch-lt", "eks-node-lt"}
    mo = templates["eks-node-lt"]["metadata_options"][0]
    assert (mo["http_tokens"], mo["http_endpoint"], mo["http_put_response_hop_limit"]) == ('"required"', '"enabled"', 2)
    assert templates["web-lt"]["update_default_version"] is True
    lc_template = [v for k, v in templates.items() if k.startswith("legacy-lc-imdsv2-")][0]
    assert lc_template["image_id"] == '"ami-0123456789abcdef0"'
    assert groups["web-asg"]["instance_refresh"][0]["strategy"] == '"Rolling"'
    assert groups["batch-asg"]["launch_template"][0]["version"].endswith(".latest_version}")
    imports = {hcl_decode(i["id"]) for i in fixes["import"]}
    assert {"lt-0a1b2c3d4e5f60718", "web-asg", "mixed-asg"} <= imports
    preventive = hcl2.loads((bundle / "terraform" / "preventive.tf").read_text())
    res = [b for b in preventive["resource"] if '"aws_ec2_instance_metadata_defaults"' in b][0]
    body = list(res['"aws_ec2_instance_metadata_defaults"'].values())[0]
    assert body["http_tokens"] == '"required"' and body["http_endpoint"] == '"enabled"'


def test_policies(bundle):
    scp = json.loads((bundle / "scp-imdsv2.json").read_text())
    launch, delivery = scp["Statement"]
    assert launch["Effect"] == "Deny" and launch["Action"] == "ec2:RunInstances"
    assert launch["Resource"] == "arn:aws:ec2:*:*:instance/*"
    assert launch["Condition"] == {"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}}
    assert delivery["Action"] == "*" and delivery["Condition"] == {"NumericLessThan": {"ec2:RoleDelivery": "2.0"}}
    decl = json.loads((bundle / "declarative-policy-imdsv2.json").read_text())
    assert decl["ec2_attributes"]["instance_metadata_defaults"]["http_tokens"] == {"@@assign": "required"}


def test_console_both_languages(bundle):
    en = (bundle / "console.md").read_text()
    ja = (bundle / "console.ja.md").read_text()
    # the labels the current console shows (issue 12's review of the Japanese)
    for label in ["「起動テンプレート」", "「アクション」>「テンプレートを変更 (新しいバージョンを作成)」", "「高度な詳細」",
                  "「メタデータへのアクセス」", "「V2 のみ (トークンは必須)」", "「有効」",
                  "「メタデータレスポンスのホップ制限」", "「テンプレートバージョンを作成」", "「Auto Scaling グループ」",
                  "「編集」", "「バージョン」", "「更新」", "「インスタンスの更新」", "「インスタンスの更新を開始」"]:
        assert label in ja, label
    for old in ["インスタンス管理", "インスタンスのリフレッシュ", "上書き設定", "V2 (トークン必須)"]:
        assert old not in ja, old
    for label in ["**Launch Templates**", "**Advanced details**", "**V2 only (token required)**",
                  "**Create template version**", "**Auto Scaling Groups**", "**Start instance refresh**"]:
        assert label in en, label
    # real names, ids and versions; never placeholders
    for text in (en, ja):
        assert "`web-lt`" in text and "`lt-0a1b2c3d4e5f60718`" in text and "`412`" not in text
        assert "412" in text and "`i-0aaa1111bbbb2222c`" in text
        assert not re.search(r"<[A-Z_ ]+>|REPLACE|TODO|xxx", text)


def test_group_api_returns_plain_text_in_both_languages():
    g, s, lcs = example_findings()
    for lang in ("en", "ja"):
        r = remediation_for_group(g, s, "web-asg", lang, lcs)
        assert set(r) == {"console", "cli", "terraform", "cloudformation", "warning"}
        assert r["cloudformation"] == ""      # no stack owns web-asg
        assert "412" in r["warning"] and "i-0aaa1111bbbb2222c" in r["warning"]
        assert "create-launch-template-version" in r["cli"] and "modify-launch-template" in r["cli"]
        subprocess.run(["bash", "-n", "-c", r["cli"]], check=True)
        hcl2.loads(r["terraform"])
    good = remediation_for_group(g, s, "good-asg", "en", lcs)
    assert good == {"console": "", "cli": "", "terraform": "", "cloudformation": "", "warning": ""}


def test_html_fragment_is_escaped():
    from imds_audit.i18n import Catalogue
    from imds_audit.present import sections

    g, s, _ = frames([group("<script>alert(1)</script>", calls=3.0, callers="i-1")],
                     [lt_source("<script>alert(1)</script>", "lt-1", "t<b>", "$Default", 1)])
    parts = remediation_for_group(g, s, g.loc[0, "asg_name"], "ja")
    member = {"asg_name": g.loc[0, "asg_name"], "account_id": "1", "region": "r", "risk_tier": None, "anchor": "g-1"}
    part = {"asg_name": member["asg_name"], "after_shared": False, "callers": "i-1", **parts}
    fix = {"n": 1, "members": [member], "parts": [part], "terraform": parts["terraform"], "cloudformation": parts["cloudformation"],
           "error": None,
           "changes": ["<script>alert(1)</script> t<b>"]}
    html = str(sections.render("remediation.html.j2", tr=Catalogue("ja"), fixes=[fix], pack=None,
                               console_markdown=sections.console_markdown))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


hostile_names = st.one_of(st.sampled_from(HOSTILE[:-1] + ["x"]),
                          st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                                  min_size=1, max_size=80))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(asg=hostile_names, lt_name=hostile_names, lc_name=hostile_names)
def test_hostile_names_everywhere(tmp_path_factory, asg, lt_name, lc_name):
    """Names holding $(...), backquotes, quotes, semicolons, newlines, <script>, {{ }}, ${}, RTL marks,
    Japanese and very long text: the script is valid bash, each command receives the name as one exact
    argument, the HCL parses back to the name, and the console text keeps it in one code span."""
    if asg == "":
        asg = "x"
    from test_remediate_quoting import hcl2_can_read
    from imds_audit.remediate.quoting import hcl_string
    if not all(hcl2_can_read(hcl_string(n)) for n in (asg, lt_name, lc_name)):
        asg, lt_name, lc_name = (n.replace("{", "(") for n in (asg, lt_name, lc_name))  # python-hcl2 limit
    groups = [group(asg, calls=2.0, callers="i-1"), group(asg + "-lc", kind="launch_configuration"),
              group(asg + "-mixed", kind="mixed_instances_policy")]
    sources = [lt_source(asg, "lt-1", lt_name, "7", 7),
               lc_source(asg + "-lc", lc_name),
               lt_source(asg + "-mixed", "lt-1", lt_name, "7", 7, position="base"),
               lt_source(asg + "-mixed", "lt-2", lt_name, "$Default", 1, position="override:0")]
    out = tmp_path_factory.mktemp("hostile")
    root = write_bundle(*frames(groups, sources), out, "ja")
    subprocess.run(["bash", "-n", str(root / "remediate.sh")], check=True)
    # run the plain per-group commands with `aws` recording its arguments: the names arrive intact
    for name in (asg, asg + "-lc", asg + "-mixed"):
        g, s, _ = frames(groups, sources)
        r = remediation_for_group(g, s, name, "en")
        log = out / f"argv-{abs(hash(name))}"
        log.mkdir()
        # one file per call (captures run in subshells): NUL-separated arguments
        script = ('aws() { printf "%s\\0" "$@" > "$(mktemp "$LOG/call.XXXXXX")"; echo 7; }\n' + r["cli"])
        subprocess.run(["bash", "-c", script], env=dict(os.environ, LOG=str(log)), check=True)
        args = [[a.decode("utf-8", "surrogateescape") for a in f.read_bytes().split(b"\0")[:-1]]
                for f in log.iterdir()]
        assert all(a[0] in ("ec2", "autoscaling") for a in args)
        group_args = [a[a.index("--auto-scaling-group-name") + 1] for a in args if "--auto-scaling-group-name" in a]
        assert group_args and set(group_args) == {name}
    fixes = hcl2.loads((root / "terraform" / "fixes.tf").read_text())
    names = {hcl_decode(res["name"]) for block in fixes["resource"] for body in block.values()
             for res in body.values()}
    assert {asg, lt_name or "lt-1"} <= names   # an empty template name falls back to the id
    for md in ("console.md", "console.ja.md"):
        for line in (root / md).read_text().splitlines():
            # a name's <script> only ever appears inside a code span (rendered as text)
            for m in re.finditer("<script>", line):
                assert "`" in line[:m.start()], line


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_terraform_binds_every_block_to_its_account_and_region(tmp_path, lang):
    """An estate of several accounts and regions: each resource and import names the provider of its
    own (account, region), and that provider refuses any other account (allowed_account_ids). The same
    launch configuration name in two accounts gives two distinct resources."""
    other_account, other_region = "210987654321", "eu-west-1"
    g, s, lcs = example_findings()
    g2, s2, lcs2 = frames(
        [group("legacy-asg", kind="launch_configuration", instances=3, account=other_account, region=other_region),
         group("web-asg", account=other_account, region=other_region)],
        [lc_source("legacy-asg", "legacy-lc", account=other_account, region=other_region),
         lt_source("web-asg", "lt-0f1b2c3d4e5f60718", "web-lt", "$Default", 1, account=other_account,
                   region=other_region)],
        [dict(lcs.iloc[0], account_id=other_account, region=other_region)])
    write_bundle(*(pd.concat([a, b], ignore_index=True) for a, b in ((g, g2), (s, s2), (lcs, lcs2))), tmp_path, lang)
    for tf in ("fixes.tf", "preventive.tf"):
        doc = hcl2.loads((tmp_path / "remediation" / "terraform" / tf).read_text())
        providers = {}
        for p in doc["provider"]:
            body = p['"aws"']
            providers[hcl_decode(body["alias"])] = (hcl_decode(body["allowed_account_ids"][0]),
                                                   hcl_decode(body["region"]))
        assert set(providers.values()) == {("123456789012", "ap-northeast-1"), (other_account, other_region)}
        labels = []
        for block in doc["resource"]:
            for kind, body in block.items():
                for label, res in body.items():
                    labels.append((kind, label))
                    if kind == '"aws_organizations_policy"' or kind == '"aws_organizations_policy_attachment"':
                        continue  # applied from the management account
                    alias = res["provider"].removeprefix("${aws.").removesuffix("}")
                    assert alias in providers, (kind, label)
        assert len(labels) == len(set(labels)), "two resources with one label"
        if tf == "fixes.tf":
            scoped = {}
            for block in doc["resource"]:
                for body in block.values():
                    for res in body.values():
                        scoped.setdefault(hcl_decode(res["name"]), set()).add(
                            providers[res["provider"].removeprefix("${aws.").removesuffix("}")])
            assert scoped["legacy-asg"] == scoped["web-asg"] == set(providers.values())
            for imp in doc["import"]:
                assert imp["provider"].removeprefix("${aws.").removesuffix("}") in providers
