"""Filters at collection (issue 14.5): --asg GLOB, --tag KEY=VALUE, --exclude-regions. What they keep,
that no call goes where they say none should, what the manifest records, and how the report states it:
groups left out are neither assessed nor "not assessed", and the headline says how many there were."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.client import BaseClient
from typer.testing import CliRunner

from imds_audit import pipeline
from imds_audit import snapshot as snap
from imds_audit.cli import app
from imds_audit.collect import filters as flt
from imds_audit.collect import regions as reg
from imds_audit.collect.audit import CollectError, collect_estate
from imds_audit.collect.calls import CallLog
from imds_audit.collect.run import Options, Target, collect, resolve_regions
from imds_audit.demo import demo_session, simulated_aws
from imds_audit.exit_codes import exit_code
from imds_audit.present.view import ReportView

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")
HOSTILE = "<script>alert('x')</script>$(touch /tmp/pwned)"
# name, tags, whether its template is IMDSv2-only
GROUPS = [
    ("web-1", {"Environment": "prod", "Team": "shop"}, True),
    ("web-2", {"Environment": "staging"}, True),
    ("Web-3", {"Environment": "prod"}, False),        # the glob is case-sensitive
    ("api-1", {"Environment": "prod"}, False),
    ("batch,nightly", {"Environment": "dev"}, False),  # a comma in a name
    (HOSTILE, {"Environment": HOSTILE}, False),
]


def _group(name: str, tags: dict) -> dict:
    return {"AutoScalingGroupName": name, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


# ---- parsing and matching ----------------------------------------------------------------------

def test_globs_split_at_commas_outside_brackets_and_strip_spaces():
    assert flt.split_globs("web-*,api-?") == ["web-*", "api-?"]
    assert flt.split_globs("batch[,]nightly,x") == ["batch[,]nightly", "x"]
    assert flt.split_globs("a[!,]b,c") == ["a[!,]b", "c"]
    assert flt.split_globs("a[],]b") == ["a[],]b"]          # "]" first in a set is literal, as fnmatch reads it
    assert flt.split_globs("a[,b") == ["a[", "b"]            # an unclosed "[" is a character
    assert flt.parse_asg(["web-*, api-*", "web-*", "db"]) == ("web-*", "api-*", "db")
    assert flt.parse_asg("x") == ("x",) and flt.parse_asg(None) == ()


@pytest.mark.parametrize("values", [[""], ["web-*,"], [" , x"], ["a,,b"]])
def test_an_empty_glob_is_an_error_never_every_group(values):
    with pytest.raises(flt.FilterError, match="--asg .*empty pattern"):
        flt.parse_asg(values)


def test_tags_parse_at_the_first_equals_and_a_repeated_key_collects_its_values():
    assert flt.parse_tags(["Environment=prod", "Team=a=b", "Environment=staging", "Owner=", "Environment=prod"]) == (
        ("Environment", ("prod", "staging")), ("Team", ("a=b",)), ("Owner", ("",)))


@pytest.mark.parametrize("text", ["Environment", "=prod", ""])
def test_a_tag_without_key_or_equals_is_an_error(text):
    with pytest.raises(flt.FilterError, match="expected KEY=VALUE"):
        flt.parse_tags([text])


def test_matching_keys_and_values_all_keys_any_value_of_a_key():
    f = flt.GroupFilter.parse(tag=["Environment=prod", "Environment=staging", "Team=shop"])
    assert f.keeps(_group("a", {"Environment": "prod", "Team": "shop"}))
    assert f.keeps(_group("a", {"Environment": "staging", "Team": "shop", "Other": "x"}))
    assert not f.keeps(_group("a", {"Environment": "prod"}))                 # every key must match
    assert not f.keeps(_group("a", {"Environment": "Prod", "Team": "shop"}))  # exact values
    assert not f.keeps(_group("a", {"environment": "prod", "Team": "shop"}))  # exact keys
    assert not f.keeps(_group("a", {}))
    assert flt.GroupFilter.parse(tag=["Owner="]).keeps(_group("a", {"Owner": ""}))


def test_matching_names_case_sensitive_any_glob_and_both_filters_together():
    f = flt.GroupFilter.parse(asg=["web-*", "batch[,]*"])
    assert [f.keeps(_group(n, {})) for n in ("web-1", "Web-3", "batch,nightly", "api")] == [True, False, True, False]
    both = flt.GroupFilter.parse(asg=["web-*"], tag=["Environment=prod"])
    assert both.keeps(_group("web-1", {"Environment": "prod"}))
    assert not both.keeps(_group("web-2", {"Environment": "dev"})) and not both.keeps(_group("api", {"Environment": "prod"}))
    assert not flt.GroupFilter().active and flt.GroupFilter().keeps(_group("anything", {}))
    assert flt.GroupFilter.parse(asg=[HOSTILE]).keeps(_group(HOSTILE, {}))  # a name is text, never code


def test_the_recorded_filters_read_back_as_shell_quoted_options():
    facts = flt.scope_facts(flt.GroupFilter.parse(asg=["web-*", "it's"], tag=["Env=a b"]), ("ap-south-1", "eu-north-1"))
    assert facts == {"asg": ["web-*", "it's"], "tags": {"Env": ["a b"]}, "exclude_regions": ["ap-south-1", "eu-north-1"]}
    assert flt.command_line(facts) == ("--asg 'web-*' --asg 'it'\"'\"'s' --tag 'Env=a b' "
                                       "--exclude-regions ap-south-1,eu-north-1")
    assert flt.command_line(facts, regions=False) == "--asg 'web-*' --asg 'it'\"'\"'s' --tag 'Env=a b'"
    assert flt.command_line(None) == ""


@pytest.mark.parametrize("text, needle", [
    ("ap-nowhere-1", "--exclude-regions: unknown region 'ap-nowhere-1'"),
    ("eu-wset-1", "did you mean .*eu-west-1"),
    ("all", "--exclude-regions: 'all' would leave no region"),
])
def test_excluded_regions_are_checked_like_regions(text, needle):
    with pytest.raises(reg.RegionError, match=needle):
        reg.parse_excluded(text)


def test_elsewhere_is_the_region_itself_or_one_every_account_has_enabled():
    assert reg.elsewhere("eu-west-1", ("us-east-1",)) == "eu-west-1"
    assert reg.elsewhere("us-east-1", ("us-east-1",)) == "us-east-2"
    assert reg.elsewhere("cn-north-1", ("cn-north-1",)) == "cn-northwest-1"  # the same partition
    assert reg.elsewhere("cn-north-1", ("cn-north-1", "cn-northwest-1")) is None


# ---- collection on moto --------------------------------------------------------------------------

def build(session) -> None:
    for region in REGIONS:
        ec2, asg = session.client("ec2", region), session.client("autoscaling", region)
        image = ec2.register_image(Name="filter-ami", RootDeviceName="/dev/xvda")["ImageId"]
        for name, tags, good in GROUPS:
            lt = ec2.create_launch_template(
                LaunchTemplateName=f"lt-{len(ec2.describe_launch_templates()['LaunchTemplates'])}",
                LaunchTemplateData={"ImageId": image, "MetadataOptions": {
                    "HttpTokens": "required" if good else "optional", "HttpEndpoint": "enabled"}},
            )["LaunchTemplate"]["LaunchTemplateId"]
            asg.create_auto_scaling_group(
                AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": lt}, MinSize=0, MaxSize=1,
                DesiredCapacity=0, AvailabilityZones=[f"{region}a"],
                Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in tags.items()])


class Calls(list):
    """Every AWS call made in the process: (service, region, operation, parameters)."""

    def __enter__(self):
        self.mp = pytest.MonkeyPatch()
        original = BaseClient._make_api_call
        calls = self

        def spy(client, operation, params):
            calls.append((client.meta.service_model.service_name, client.meta.region_name, operation, params))
            return original(client, operation, params)
        self.mp.setattr(BaseClient, "_make_api_call", spy)
        return self

    def __exit__(self, *exc):
        self.mp.undo()


@pytest.fixture(scope="module")
def filtered(tmp_path_factory):
    """The estate collected with --asg 'web-*' --tag Environment=prod --tag Environment=staging
    --exclude-regions ap-northeast-1 (what web-1 and web-2 pass; web-1 and web-2 are IMDSv2-only, every
    group left out allows IMDSv1), with every call recorded."""
    root = tmp_path_factory.mktemp("filtered")
    with simulated_aws():
        session = demo_session()
        build(session)
        options = Options(regions=list(REGIONS), quiet=True,
                          groups=flt.GroupFilter.parse(asg=["web-*"], tag=["Environment=prod", "Environment=staging"]),
                          exclude_regions=reg.parse_excluded("ap-northeast-1"))
        with Calls() as calls:
            result = collect([Target(ACCOUNT, session)], options, "tester")
        unfiltered = collect([Target(ACCOUNT, session)], Options(regions=["us-east-1", "eu-west-1"], quiet=True),
                             "tester")
    return {"path": snap.write(result, root / "snapshot"), "calls": list(calls),
            "unfiltered": snap.write(unfiltered, root / "unfiltered")}


def test_only_the_groups_passing_every_filter_are_collected(filtered):
    s = snap.read(filtered["path"])
    groups = s["auto_scaling_groups"]
    assert sorted(zip(groups["region"], groups["asg_name"], strict=True)) == [
        ("eu-west-1", "web-1"), ("eu-west-1", "web-2"), ("us-east-1", "web-1"), ("us-east-1", "web-2")]
    assert set(s["launch_sources"]["asg_name"]) == {"web-1", "web-2"}
    assert len(s["launch_templates"]) == 4  # only the kept groups' templates were read


def test_no_call_goes_to_an_excluded_region_nor_about_a_group_left_out(filtered):
    calls = filtered["calls"]
    assert calls and not [c for c in calls if c[1] == "ap-northeast-1"]
    assert {c[1] for c in calls} == {"us-east-1", "eu-west-1", "aws-global"}  # aws-global: IAM
    templates = [p for svc, _, op, p in calls if op in ("DescribeLaunchTemplates", "DescribeLaunchTemplateVersions")]
    asked = {t for p in templates for t in p.get("LaunchTemplateIds", []) + [p.get("LaunchTemplateId")] if t}
    assert len(asked) == 4  # the two kept groups' templates in each of the two regions


def test_the_manifest_records_the_filters_and_the_count_left_out_per_account_region(filtered):
    manifest = json.loads((Path(filtered["path"]) / "manifest.json").read_text())
    assert manifest["scope"]["regions"] == ["eu-west-1", "us-east-1"]
    assert manifest["scope"]["filters"] == {"asg": ["web-*"], "tags": {"Environment": ["prod", "staging"]},
                                            "exclude_regions": ["ap-northeast-1"]}
    assert manifest["scope"]["filtered_out"] == [{"account_id": ACCOUNT, "region": "eu-west-1", "groups": 4},
                                                 {"account_id": ACCOUNT, "region": "us-east-1", "groups": 4}]
    blob = b"".join(p.read_bytes() for p in Path(filtered["path"]).iterdir())
    assert b"api-1" not in blob and b"nightly" not in blob and b"pwned" not in blob  # no name left out is kept


def test_an_unfiltered_snapshot_has_no_filter_facts(filtered):
    assert set(snap.read(filtered["unfiltered"]).scope) == {"accounts", "regions"}
    assert pipeline.filter_facts(snap.read(filtered["unfiltered"])) is None


@pytest.mark.parametrize("scope, needle", [
    ({"filters": "web-*"}, "scope.filters is not an object"),
    ({"filters": {"asg": "web-*"}}, "scope.filters.asg"),
    ({"filters": {"tags": {"Env": "prod"}}}, "scope.filters.tags"),
    ({"filters": {}, "filtered_out": [{"account_id": "1", "region": "r", "groups": -1}]}, "scope.filtered_out"),
    ({"filtered_out": {"groups": 3}}, "scope.filtered_out"),
])
def test_damaged_filter_facts_are_refused(filtered, tmp_path, scope, needle):
    import shutil

    copy = Path(shutil.copytree(filtered["path"], tmp_path / "s"))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["scope"] = {"accounts": [ACCOUNT], "regions": ["us-east-1"], **scope}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(snap.SnapshotError, match=needle):
        snap.read(copy)


def test_discovering_regions_skips_an_excluded_home_region_and_lists_none_excluded():
    with simulated_aws():
        session = boto3.session.Session(region_name="us-east-1")
        with Calls() as calls:
            found = resolve_regions(Target(ACCOUNT, session), ["all"], CallLog(), exclude=("us-east-1", "eu-west-1"))
    assert [c[1] for c in calls] == ["us-east-2"] and calls[0][2] == "DescribeRegions"
    assert "us-east-1" not in found and "eu-west-1" not in found and "us-west-2" in found
    assert resolve_regions(Target(ACCOUNT, session), ["us-east-1", "eu-west-1"], CallLog(),
                           exclude=("eu-west-1",)) == ["us-east-1"]


def test_collect_estate_checks_every_filter_before_any_call(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail slowly
    for kwargs, needle in [({"tag": ["Environment"]}, "expected KEY=VALUE"), ({"asg": [""]}, "empty pattern"),
                           ({"exclude_regions": "us-est-1"}, "--exclude-regions: unknown region"),
                           ({"regions": "us-east-1", "exclude_regions": ["us-east-1"]}, "leaves none of --regions")]:
        with Calls() as calls, pytest.raises(CollectError, match=needle):
            collect_estate(**kwargs)
        assert calls == []


def test_sts_and_the_regions_named_avoid_an_excluded_region(tmp_path):
    with simulated_aws():
        build(boto3.session.Session(region_name="us-east-1"))
        with Calls() as calls:
            result = collect_estate(regions="us-east-1,eu-west-1", exclude_regions="us-east-1", out=tmp_path / "s")
    assert result.scope["regions"] == ["eu-west-1"] and {c[1] for c in calls} == {"eu-west-1", "aws-global"}
    assert [c[1] for c in calls if c[2] == "GetCallerIdentity"] == ["eu-west-1"]  # the profile's us-east-1 avoided


# ---- the report ----------------------------------------------------------------------------------

def test_filtered_groups_are_neither_assessed_nor_unknown_and_the_exit_code_ignores_them(filtered):
    findings = pipeline.build(filtered["path"])
    assert set(findings.groups["status"]) == {"compliant"} and len(findings.groups) == 4
    assert exit_code(findings, "unknown") == 0  # the left-out groups allow IMDSv1: still not a finding, nor a gap
    assert findings.meta["filters"] == {
        "asg": ["web-*"], "tags": {"Environment": ["prod", "staging"]}, "exclude_regions": ["ap-northeast-1"],
        "command_line": "--asg 'web-*' --tag Environment=prod --tag Environment=staging --exclude-regions ap-northeast-1",
        "group_command_line": "--asg 'web-*' --tag Environment=prod --tag Environment=staging", "left_out": 8,
        "left_out_by_region": [{"account_id": ACCOUNT, "region": "eu-west-1", "groups": 4},
                               {"account_id": ACCOUNT, "region": "us-east-1", "groups": 4}]}


def test_the_headline_counts_what_was_assessed_then_states_what_the_filters_left_out(filtered):
    findings = pipeline.build(filtered["path"])
    en, ja = ReportView(findings, "en"), ReportView(findings, "ja")
    assert en.sentence() == (
        "All 4 assessed Auto Scaling groups enforce IMDSv2: no IAM role credentials are readable over IMDSv1 "
        "through them. The filters --asg 'web-*' --tag Environment=prod --tag Environment=staging left out 8 "
        "groups, which this audit does not cover (see \"Scope\"). Regions excluded with --exclude-regions, and "
        "not read: ap-northeast-1.")
    assert "対象外とした 8 件のグループ" in ja.sentence() and "ap-northeast-1" in ja.sentence()
    assert en.executive()["sentence"] == en.sentence()  # the PDF's page 1 says it too


def test_the_scope_section_names_the_filters_and_the_count_per_account_region(filtered):
    findings = pipeline.build(filtered["path"])
    html = str(ReportView(findings, "en").scope())
    assert ("<dt>Groups left out</dt><dd>8 groups left out by the filters --asg &#39;web-*&#39; --tag "
            f"Environment=prod --tag Environment=staging ({ACCOUNT}/eu-west-1: 4, {ACCOUNT}/us-east-1: 4)</dd>") in html
    assert "<dt>Regions excluded</dt><dd>ap-northeast-1 (--exclude-regions): no API call was made there" in html
    assert "neither as IMDSv2-only nor as not assessed" in html
    ja = str(ReportView(findings, "ja").scope())
    assert "<dt>フィルター</dt>" in ja and f"{ACCOUNT}/us-east-1：4 件" in ja
    rows = dict(ReportView(findings, "en").metadata_rows())
    assert rows["meta.filters"] == ("--asg 'web-*' --tag Environment=prod --tag Environment=staging "
                                    "--exclude-regions ap-northeast-1")


def test_an_unfiltered_report_says_so_and_adds_nothing_to_the_headline(filtered):
    view = ReportView(pipeline.build(filtered["unfiltered"]), "en")
    assert "filters" not in view.sentence() and "excluded" not in view.sentence()
    assert "<dt>Filters</dt><dd>none: every Auto Scaling group" in str(view.scope())
    assert dict(view.metadata_rows())["meta.filters"].startswith("none")


def test_a_trend_against_an_audit_with_other_filters_says_so(filtered):
    findings = pipeline.build(filtered["path"], previous=filtered["unfiltered"])
    en, ja = ReportView(findings, "en").trend_sentence(), ReportView(findings, "ja").trend_sentence()
    assert en.endswith(" The earlier audit was collected with other filters (then: none; now: --asg 'web-*' --tag "
                       "Environment=prod --tag Environment=staging --exclude-regions ap-northeast-1), so some groups "
                       "may look added or removed only because of them.")
    assert "前回：なし" in ja
    same = ReportView(pipeline.build(filtered["unfiltered"], previous=filtered["unfiltered"]), "en").trend_sentence()
    assert same is not None and "filters" not in same


def test_hostile_filters_are_escaped_in_the_report_and_nothing_matched_is_said_as_such(tmp_path):
    with simulated_aws():
        session = demo_session()
        build(session)
        options = Options(regions=["us-east-1"], quiet=True, groups=flt.GroupFilter.parse(
            asg=["nothing-*"], tag=[f"Environment={HOSTILE}"]))
        path = snap.write(collect([Target(ACCOUNT, session)], options, "tester"), tmp_path / "s")
    view = ReportView(pipeline.build(path), "en")
    assert view.sentence().startswith("No Auto Scaling group in the account region that was read matched the "
                                      "filters: there is nothing to assess. The filters --asg 'nothing-*' --tag ")
    for html in (str(view.scope()), str(view.metadata()), str(view.headline())):
        assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert "6 groups left out" in str(view.scope())


# ---- the command line and the config file --------------------------------------------------------

def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def test_collect_verb_takes_the_filters_and_says_how_many_groups_they_left_out(tmp_path):
    with simulated_aws():
        build(boto3.session.Session(region_name="us-east-1"))
        done = CliRunner().invoke(app, ["collect", "--regions", "us-east-1,eu-west-1", "--asg", "web-*,api-*",
                                        "--asg", "batch[,]*", "--tag", "Environment=prod", "--tag",
                                        "Environment=dev", "--exclude-regions", "eu-west-1", "--quiet",
                                        "--out", str(tmp_path / "s")])
    assert done.exit_code == 0, done.output
    assert "3 groups; 3 left out by the filters" in done.stdout  # web-1, api-1, batch,nightly kept
    scope = _manifest(tmp_path / "s")["scope"]
    assert scope["filters"] == {"asg": ["web-*", "api-*", "batch[,]*"], "tags": {"Environment": ["prod", "dev"]},
                                "exclude_regions": ["eu-west-1"]}
    assert scope["regions"] == ["us-east-1"]


@pytest.mark.parametrize("verb", ["collect", "run"])
@pytest.mark.parametrize("args, needle", [
    (["--tag", "Environment"], "--tag 'Environment': expected KEY=VALUE"),
    (["--asg", ""], "--asg '': an empty pattern"),
    (["--exclude-regions", "eu-wset-1"], "--exclude-regions: unknown region 'eu-wset-1'"),
])
def test_bad_filters_are_one_line_and_exit_2(verb, args, needle, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    done = CliRunner().invoke(app, [verb, *args, "--out", str(tmp_path / "o")])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.exit_code == 2 and len(lines) == 1 and needle in lines[0], done.output
    assert not (tmp_path / "o" / "snapshot").exists() and not (tmp_path / "o" / "manifest.json").exists()


def test_the_config_file_takes_the_filter_keys(tmp_path, monkeypatch):
    import typer.main

    from imds_audit import config

    commands = typer.main.get_command(app).commands
    path = tmp_path / "imds-audit.toml"
    path.write_text('tag = ["Environment=prod", "Team=a,b"]\nasg = "web-*,api-*"\n'
                    'exclude-regions = ["ap-northeast-1", "eu-west-1"]\n[run]\nasg = ["web-*"]\n', encoding="utf-8")
    dm = config.default_map(commands, path)
    assert dm["collect"] == {"tag": ["Environment=prod", "Team=a,b"], "asg": ["web-*,api-*"],
                             "exclude_regions": "ap-northeast-1,eu-west-1"}
    assert dm["run"]["asg"] == ["web-*"] and "tag" not in dm["report"]
    path.write_text('tags = ["Environment=prod"]\n', encoding="utf-8")
    with pytest.raises(config.ConfigError, match="unknown key 'tags' \\(did you mean 'tag'\\?\\)"):
        config.default_map(commands, path)

    # applied by the verb, and the command line wins
    path.write_text('[collect]\ntag = ["Environment=prod"]\nasg = "web-*"\nexclude-regions = "eu-west-1"\n'
                    'regions = "us-east-1,eu-west-1"\nquiet = true\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with simulated_aws():
        build(boto3.session.Session(region_name="us-east-1"))
        done = CliRunner().invoke(app, ["collect", "--out", "from-file"])
        assert done.exit_code == 0, done.output
        done = CliRunner().invoke(app, ["collect", "--out", "cli", "--asg", "api-*", "--exclude-regions",
                                        "ap-northeast-1"])
        assert done.exit_code == 0, done.output
    from_file = _manifest(tmp_path / "from-file")["scope"]
    assert from_file["filters"] == {"asg": ["web-*"], "tags": {"Environment": ["prod"]}, "exclude_regions": ["eu-west-1"]}
    assert from_file["regions"] == ["us-east-1"]
    cli = _manifest(tmp_path / "cli")["scope"]
    assert cli["filters"] == {"asg": ["api-*"], "tags": {"Environment": ["prod"]}, "exclude_regions": ["ap-northeast-1"]}
    assert cli["regions"] == ["eu-west-1", "us-east-1"]


def test_the_collect_notebook_takes_the_filters_as_parameters(tmp_path):
    from imds_audit.render.execute import notebook_path

    nb = json.loads(notebook_path("collect.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    namespace: dict = {}
    exec(cells[0], namespace)  # the parameters cell, then what papermill would inject
    namespace.update(regions=["us-east-1", "eu-west-1"], asg=["web-*"], tag=["Environment=prod"],
                     exclude_regions=["eu-west-1"], snapshot_dir=str(tmp_path / "s"))
    with simulated_aws():
        build(boto3.session.Session(region_name="us-east-1"))
        exec(cells[1], namespace)  # the collecting cell
    scope = _manifest(tmp_path / "s")["scope"]
    assert scope["filters"] == {"asg": ["web-*"], "tags": {"Environment": ["prod"]}, "exclude_regions": ["eu-west-1"]}
    assert scope["filtered_out"] == [{"account_id": ACCOUNT, "region": "us-east-1", "groups": 5}]
