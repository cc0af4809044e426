"""Each rule of the verdict (DESIGN.md §4), tested on snapshot data from the case it covers: the status,
the reason code the analysis emits, and that code in words (the catalogue's English)."""

import pandas as pd
import pytest

from factory import A, R, ok_calls, template_group
from imds_audit import snapshot as snap
from imds_audit.analyze import verdict
from imds_audit.i18n import reasons


def judge(s):
    sources = verdict.resolve_sources(s)
    groups = verdict.group_status(s["auto_scaling_groups"], sources)
    groups = groups.assign(reason=reasons.group_reasons(groups, sources, "en"))
    return groups.set_index("asg_name"), sources


def status(s, name="g"):
    return judge(s)[0].loc[name, "status"]


def test_template_value_wins_over_account_default():
    s = template_group(tokens="optional", endpoint="enabled", defaults={"http_tokens": "required"})
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "non_compliant"
    assert sources.loc[0, "tokens_from"] == "declared"


def test_account_default_applies_when_template_is_silent():
    s = template_group(defaults={"http_tokens": "required"})
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "compliant"
    assert sources.loc[0, "tokens_from"] == "account_default"


def test_no_preference_default_falls_through_to_api_default():
    s = template_group(defaults={"http_tokens": "no-preference", "http_endpoint": "no-preference",
                                 "hop_limit": -1})
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "non_compliant"
    assert sources.loc[0, "tokens_from"] == "api_default"
    assert sources.loc[0, "hop_limit"] == 1


def test_ami_imds_support_v2_means_required_and_hop_two():
    s = template_group(imds_support="v2.0")
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "compliant"
    assert sources.loc[0, "tokens_from"] == "ami"
    assert sources.loc[0, "hop_limit"] == 2


def test_account_default_wins_over_ami():
    s = template_group(imds_support="v2.0", defaults={"http_tokens": "optional"})
    assert status(s) == "non_compliant"


def test_api_default_is_tokens_optional_endpoint_enabled_hop_one():
    groups, sources = judge(template_group())
    assert groups.loc["g", "status"] == "non_compliant"
    assert tuple(sources.loc[0, ["http_tokens", "http_endpoint", "hop_limit"]]) == ("optional", "enabled", 1)


def test_omitted_endpoint_means_enabled():
    # Tools that read an omitted HttpEndpoint as disabled call this group safe; it is not.
    s = template_group(tokens="optional", endpoint=None)
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "non_compliant"
    assert sources.loc[0, "http_endpoint"] == "enabled"


def test_disabled_endpoint_exposes_nothing():
    assert status(template_group(tokens="optional", endpoint="disabled")) == "compliant"


def test_account_default_can_disable_the_endpoint():
    s = template_group(tokens="optional", defaults={"http_endpoint": "disabled"})
    assert status(s) == "compliant"


def test_tokens_required_with_endpoint_omitted_is_compliant():
    assert status(template_group(tokens="required")) == "compliant"


@pytest.mark.parametrize("requested, expected", [
    ("$Default", "compliant"), ("$Latest", "non_compliant"), ("1", "compliant"), ("2", "non_compliant"),
    (None, "compliant"),  # no Version in the group's specification means the default version
])
def test_the_version_the_group_names_is_judged_not_any_version(requested, expected):
    s = template_group(version=requested, default=1, latest=2,
                       versions={1: ("required", None, None), 2: ("optional", None, None)})
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == expected
    assert sources.loc[0, "version_resolved"] == {"$Default": 1, "$Latest": 2, "1": 1, "2": 2, None: 1}[requested]


def test_missing_version_record_is_unknown_with_reason():
    s = template_group(version="7", versions={1: ("required", None, None)})
    groups, _ = judge(s)
    assert groups.loc["g", "status"] == "unknown"
    assert groups.loc["g", "reason_code"] == "record_not_read"
    assert "not read" in groups.loc["g", "reason"]


def test_unreadable_defaults_make_a_silent_template_unknown():
    calls = ok_calls(apis=("DescribeImages",)) + ok_calls(apis=("GetInstanceMetadataDefaults",),
                                                          outcome="access_denied")
    s = template_group(calls=calls)
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "unknown"
    assert groups.loc["g", "reason_code"] == "defaults_not_read"
    assert sources.loc[0, "reason_api"] == "GetInstanceMetadataDefaults"
    assert "account-level IMDS defaults could not be read" in groups.loc["g", "reason"]


def test_unreadable_defaults_do_not_matter_when_the_template_decides():
    calls = ok_calls(apis=("GetInstanceMetadataDefaults",), outcome="access_denied")
    assert status(template_group(tokens="required", calls=calls)) == "compliant"
    assert status(template_group(tokens="optional", endpoint="enabled", calls=calls)) == "non_compliant"
    # optional but the endpoint could have been disabled by the unread default: not decidable
    assert status(template_group(tokens="optional", calls=calls)) == "unknown"


AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _ssm(outcome="resolved", imds_support="v2.0", tokens=None, calls=None):
    """A template launching ``resolve:ssm:AL2023``; the parameter names ami-0abc (ImdsSupport as given)."""
    extra = {"ssm_parameters": [{"account_id": A, "region": R, "parameter": AL2023, "outcome": outcome,
                                 "image_id": "ami-0abc" if outcome == "resolved" else None}],
             "images": [{"account_id": A, "region": R, "image_id": "ami-0abc", "imds_support": imds_support}]}
    return template_group(tokens=tokens, image_id=f"resolve:ssm:{AL2023}", extra_tables=extra, calls=calls)


def test_an_ami_named_by_ssm_is_judged_by_the_ami_the_parameter_names():
    # ssm:GetParameters gave the AMI; its ImdsSupport v2.0 makes a silent template IMDSv2-only,
    # and the reason says the parameter may name another AMI at the next launch
    groups, sources = judge(_ssm())
    assert groups.loc["g", "status"] == "compliant"
    assert sources.loc[0, "tokens_from"] == "ami_ssm" and sources.loc[0, "resolved_image_id"] == "ami-0abc"
    assert "may name another AMI at the next launch" in groups.loc["g", "reason"]
    # an AMI without ImdsSupport: the API default, optional
    assert status(_ssm(imds_support=None)) == "non_compliant"


def test_an_ssm_parameter_not_read_cannot_decide():
    groups, sources = judge(_ssm(outcome="not_read"))
    assert groups.loc["g", "status"] == "unknown"
    assert groups.loc["g", "reason_code"] == "ami_from_ssm"
    assert sources.loc[0, "reason_api"] == "GetParameters"
    assert "SSM" in groups.loc["g", "reason"]
    # a template that declares HttpTokens does not need the AMI
    assert status(_ssm(outcome="not_read", tokens="required")) == "compliant"


def test_an_ssm_parameter_that_does_not_exist_means_the_group_cannot_launch():
    groups, sources = judge(_ssm(outcome="not_found"))
    assert groups.loc["g", "status"] == "unknown" and groups.loc["g", "reason_code"] == "image_missing"
    assert sources.loc[0, "launch_failure"] and sources.loc[0, "launch_failure_code"] == "image_missing"


def test_a_template_that_does_not_exist_means_the_group_cannot_launch():
    # EC2 said InvalidLaunchTemplateId.NotFound: not "could not be read", and nothing invented
    s = template_group(extra_tables={"missing_launch_templates": [
        {"account_id": A, "region": R, "launch_template_id": "lt-1", "version": None,
         "error_code": "InvalidLaunchTemplateId.NotFound"}]})
    s.tables["launch_templates"] = snap.empty("launch_templates")
    s.tables["launch_template_versions"] = snap.empty("launch_template_versions")
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "unknown" and groups.loc["g", "reason_code"] == "template_missing"
    assert "does not exist: the group cannot launch" in groups.loc["g", "reason"]
    assert sources.loc[0, "launch_failure"] and sources.loc[0, "launch_failure_code"] == "template_missing"
    assert pd.isna(sources.loc[0, "http_endpoint"]) and pd.isna(sources.loc[0, "hop_limit"])


def test_a_pinned_version_that_does_not_exist_means_the_group_cannot_launch():
    s = template_group(version="7", extra_tables={"missing_launch_templates": [
        {"account_id": A, "region": R, "launch_template_id": "lt-1", "version": "7",
         "error_code": "InvalidLaunchTemplateId.VersionNotFound"}]})
    groups, sources = judge(s)
    assert groups.loc["g", "reason_code"] == "version_missing"
    assert groups.loc["g", "reason"] == "launch template tpl (lt-1) version 7: this version does not exist: the group cannot launch"
    assert sources.loc[0, "launch_failure_code"] == "version_missing"
    # not read (denied, throttled) stays apart from does not exist
    unread = judge(template_group(version="7"))[1]
    assert unread.loc[0, "reason_code"] == "record_not_read" and not unread.loc[0, "launch_failure"]


def test_a_launch_configuration_that_does_not_exist_means_the_group_cannot_launch():
    rows = {"auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": "g", "launch_kind": "launch_configuration"}],
            "launch_sources": [{"account_id": A, "region": R, "asg_name": "g", "source_kind": "launch_configuration",
                                "position": "single", "launch_configuration_name": "gone"}],
            "missing_launch_configurations": [{"account_id": A, "region": R, "launch_configuration_name": "gone"}],
            "metadata_defaults": [{"account_id": A, "region": R}]}
    groups, sources = judge(snap.new(rows, api_calls=ok_calls()))
    assert groups.loc["g", "reason_code"] == "configuration_missing"
    assert sources.loc[0, "launch_failure_code"] == "configuration_missing"


def test_an_ami_that_does_not_exist_means_the_group_cannot_launch_whatever_the_template_says():
    gone = [{"account_id": A, "region": R, "image_id": "ami-1", "error_code": "InvalidAMIID.NotFound"}]
    s = template_group(tokens="required", extra_tables={"missing_images": gone})
    s.tables["images"] = snap.empty("images")
    groups, sources = judge(s)
    assert groups.loc["g", "status"] == "compliant"                 # its settings are IMDSv2-only ...
    assert sources.loc[0, "launch_failure_code"] == "image_missing"  # ... but it cannot launch
    s = template_group(extra_tables={"missing_images": gone})
    s.tables["images"] = snap.empty("images")
    assert judge(s)[0].loc["g", "reason_code"] == "image_missing"


def test_an_unread_record_gives_no_invented_settings():
    # the version the group names was not read: not "endpoint enabled, hop limit 1" by default
    groups, sources = judge(template_group(version="7"))
    assert groups.loc["g", "status"] == "unknown"
    assert pd.isna(groups.loc["g", "http_endpoint"]) and pd.isna(groups.loc["g", "effective_http_tokens"])
    assert pd.isna(sources.loc[0, "hop_limit"]) and sources.loc[0, "endpoint_from"] == "unknown"


def test_missing_ami_record_is_unknown_only_when_needed():
    s = template_group(extra_tables={})
    s.tables["images"] = snap.empty("images")
    assert status(s) == "unknown"
    s2 = template_group(tokens="required")
    s2.tables["images"] = snap.empty("images")
    assert status(s2) == "compliant"


def _mixed(base_tokens, override_tokens):
    s = template_group(tokens=base_tokens)
    extra = snap.new({
        "launch_sources": [{"account_id": A, "region": R, "asg_name": "g", "source_kind": "launch_template",
                            "position": "override:1", "launch_template_id": "lt-2",
                            "version_requested": "$Default"}],
        "launch_templates": [{"account_id": A, "region": R, "launch_template_id": "lt-2",
                              "launch_template_name": "gpu", "default_version": 1, "latest_version": 1}],
        "launch_template_versions": [{"account_id": A, "region": R, "launch_template_id": "lt-2",
                                      "version_number": 1, "http_tokens": override_tokens,
                                      "http_endpoint": "enabled", "image_id": "ami-1"}],
    })
    for t in ("launch_sources", "launch_templates", "launch_template_versions"):
        s.tables[t] = snap.conform(t, pd.concat([s.tables[t], extra.tables[t]], ignore_index=True))
    s.tables["auto_scaling_groups"]["launch_kind"] = "mixed_instances_policy"
    s.tables["launch_sources"].loc[0, "position"] = "base"
    return s


def test_mixed_policy_override_template_counts():
    groups, _ = judge(_mixed("required", "optional"))
    assert groups.loc["g", "status"] == "non_compliant"
    assert "gpu" in groups.loc["g", "reason"]
    assert groups.loc["g", "effective_http_tokens"] == "optional"


def test_mixed_policy_all_required_is_compliant():
    groups, _ = judge(_mixed("required", "required"))
    assert groups.loc["g", "status"] == "compliant"
    assert groups.loc["g", "effective_http_tokens"] == "required"


def test_launch_configuration_rules():
    rows = {
        "auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": n, "launch_kind": "launch_configuration"}
                                for n in ("bare", "opt", "req", "off")],
        "launch_sources": [{"account_id": A, "region": R, "asg_name": n, "source_kind": "launch_configuration",
                            "position": "single", "launch_configuration_name": f"lc-{n}"}
                           for n in ("bare", "opt", "req", "off")],
        "launch_configurations": [
            {"account_id": A, "region": R, "launch_configuration_name": "lc-bare", "image_id": "ami-1"},
            {"account_id": A, "region": R, "launch_configuration_name": "lc-opt", "http_tokens": "optional",
             "image_id": "ami-1"},
            {"account_id": A, "region": R, "launch_configuration_name": "lc-req", "http_tokens": "required",
             "image_id": "ami-1"},
            {"account_id": A, "region": R, "launch_configuration_name": "lc-off", "http_endpoint": "disabled",
             "image_id": "ami-1"}],
        "images": [{"account_id": A, "region": R, "image_id": "ami-1"}],
        "metadata_defaults": [{"account_id": A, "region": R}],
    }
    groups, _ = judge(snap.new(rows, api_calls=ok_calls()))
    assert groups["status"].to_dict() == {"bare": "non_compliant", "opt": "non_compliant",
                                          "req": "compliant", "off": "compliant"}


def test_group_without_launch_source_is_unknown():
    s = snap.new({"auto_scaling_groups": [{"account_id": A, "region": R, "asg_name": "g", "launch_kind": "none"}]},
                 api_calls=ok_calls())
    groups, _ = judge(s)
    assert groups.loc["g", "status"] == "unknown"


def test_account_default_hop_limit_and_minus_one():
    _, sources = judge(template_group(tokens="required", defaults={"hop_limit": 3}))
    assert sources.loc[0, "hop_limit"] == 3
    assert sources.loc[0, "hop_from"] == "account_default"
