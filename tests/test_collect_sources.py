"""What groups launch from, as collected: templates named by name (resolved to ids), templates,
versions, launch configurations and AMIs that do not exist (recorded as such, not as failed reads),
every MetadataOptions field, and AMIs named through SSM parameters.

moto in-process; where moto answers differently from AWS the test says so and shapes the answer the
way AWS gives it with a botocore hook.
"""

from __future__ import annotations

import base64
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import ClientError

from imds_audit import snapshot as snap
from imds_audit.collect import metadata
from imds_audit.collect.limits import Limits
from imds_audit.collect.run import Options, Target, collect
from imds_audit.demo import demo_session, simulated_aws

R = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def aws():
    with simulated_aws():
        session = demo_session()
        ec2 = session.client("ec2", R)
        image = ec2.register_image(Name="app-ami", RootDeviceName="/dev/xvda")["ImageId"]
        yield session, image


def _template(session, name, image, versions=1, **data):
    ec2 = session.client("ec2", R)
    tid = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": image, **data})[
        "LaunchTemplate"]["LaunchTemplateId"]
    for _ in range(versions - 1):
        ec2.create_launch_template_version(LaunchTemplateId=tid, LaunchTemplateData={"ImageId": image, **data})
    return tid


def _group(session, name, capacity=0, **source):
    session.client("autoscaling", R).create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=2, DesiredCapacity=capacity,
        AvailabilityZones=[f"{R}a"], **source)


def _collect(session, **limits):
    return collect([Target(ACCOUNT, session)], Options(regions=[R], quiet=True, limits=Limits(**limits)), "t")


def _outcome(result, api):
    return {c["api"]: c for c in result.api_calls if c["region"] == R}.get(api, {}).get("outcome")


def _names_only(session):
    """AWS returns a group's launch template specification as the group gives it, by name only if it
    was named by name; moto always fills in both. This hook gives moto's answer AWS's shape for every
    specification that names its template by a name ending in "-by-name"."""
    def strip(parsed=None, **_):
        def spec(s):
            if s and s.get("LaunchTemplateName", "").endswith("-by-name"):
                s.pop("LaunchTemplateId", None)
        for g in parsed.get("AutoScalingGroups", []):
            spec(g.get("LaunchTemplate"))
            mixed = (g.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
            spec(mixed.get("LaunchTemplateSpecification"))
            for o in mixed.get("Overrides") or []:
                spec(o.get("LaunchTemplateSpecification"))
    session.events.register("after-call.auto-scaling.DescribeAutoScalingGroups", strip)


def _count_calls(session, api):
    seen = []
    session.events.register(f"before-parameter-build.ec2.{api}", lambda params=None, **_: seen.append(params))
    return seen


# ---- 13.2: template names resolved to ids --------------------------------------------------------------
def test_template_named_by_name_is_resolved_to_its_id_and_read_once(aws):
    session, image = aws
    tid = _template(session, "shared-by-name", image, versions=2, MetadataOptions={"HttpTokens": "required"})
    gpu = _template(session, "gpu-by-name", image, MetadataOptions={"HttpTokens": "optional"})
    _names_only(session)
    _group(session, "by-id", LaunchTemplate={"LaunchTemplateId": tid, "Version": "2"})
    _group(session, "by-name", LaunchTemplate={"LaunchTemplateName": "shared-by-name", "Version": "2"})
    _group(session, "mixed", MixedInstancesPolicy={"LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateName": "shared-by-name", "Version": "1"},
        "Overrides": [{"InstanceType": "t3.large",
                       "LaunchTemplateSpecification": {"LaunchTemplateName": "gpu-by-name"}}]}})
    asked = _count_calls(session, "DescribeLaunchTemplateVersions")
    result = _collect(session)
    sources = result["launch_sources"].set_index(["asg_name", "position"])
    assert sources.loc[("by-name", "single"), "launch_template_id"] == tid
    assert sources.loc[("by-name", "single"), "launch_template_name"] == "shared-by-name"  # kept as given
    assert sources.loc[("mixed", "base"), "launch_template_id"] == tid
    assert sources.loc[("mixed", "override:0"), "launch_template_id"] == gpu
    templates = result["launch_templates"]
    assert sorted(templates["launch_template_id"]) == sorted([tid, gpu])  # one row per template
    versions = result["launch_template_versions"]
    assert sorted(versions[versions["launch_template_id"] == tid]["version_number"]) == [1, 2]
    assert [p.get("LaunchTemplateId") for p in asked].count(tid) == 1  # its versions asked once
    assert _outcome(result, "DescribeLaunchTemplates") == "ok"


# ---- 13.3: does not exist vs not read ------------------------------------------------------------------
def _aws_fails_whole_call_for_unknown_ids(session):
    """AWS fails DescribeLaunchTemplates with InvalidLaunchTemplateId.NotFound when one of the ids it
    names does not exist; moto (5.2.5) silently leaves it out. This hook answers as AWS does."""
    ec2 = session.client("ec2", R)
    known = {t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]}

    def check(params=None, **_):
        if any(i not in known for i in params.get("LaunchTemplateIds", [])):
            raise ClientError({"Error": {"Code": "InvalidLaunchTemplateId.NotFound",
                                         "Message": "At least one of the launch templates specified in "
                                                    "the request does not exist."},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeLaunchTemplates")
    session.events.register_first("before-parameter-build.ec2.DescribeLaunchTemplates", check)


def test_templates_and_versions_that_do_not_exist_are_recorded_missing_not_failed(aws):
    session, image = aws
    ec2 = session.client("ec2", R)
    keep = _template(session, "keep", image, MetadataOptions={"HttpTokens": "required"})
    gone = _template(session, "gone", image)
    gone_by_name = _template(session, "gone-by-name", image)
    _names_only(session)
    _group(session, "fine", LaunchTemplate={"LaunchTemplateId": keep, "Version": "1"})
    _group(session, "pinned-to-nothing", LaunchTemplate={"LaunchTemplateId": keep, "Version": "7"})
    _group(session, "template-deleted", LaunchTemplate={"LaunchTemplateId": gone})
    _group(session, "deleted-by-name", LaunchTemplate={"LaunchTemplateName": "gone-by-name"})
    ec2.delete_launch_template(LaunchTemplateId=gone)
    ec2.delete_launch_template(LaunchTemplateId=gone_by_name)
    _aws_fails_whole_call_for_unknown_ids(session)
    result = _collect(session)
    missing = {(m["launch_template_id"], m["launch_template_name"], m["version"], m["error_code"])
               for m in result["missing_launch_templates"].astype(object).where(
                   result["missing_launch_templates"].notna(), None).to_dict("records")}
    assert missing == {(keep, "keep", "7", "InvalidLaunchTemplateId.VersionNotFound"),
                       (gone, None, None, "InvalidLaunchTemplateId.NotFound"),
                       (None, "gone-by-name", None, "InvalidLaunchTemplateName.NotFoundException")}
    assert _outcome(result, "DescribeLaunchTemplates") == "ok"
    assert _outcome(result, "DescribeLaunchTemplateVersions") == "ok"
    versions = result["launch_template_versions"]
    assert versions["launch_template_id"].tolist() == [keep]  # the template that exists is still read


def test_denied_versions_stay_a_failed_read_not_missing(aws):
    session, image = aws
    tid = _template(session, "t", image)
    _group(session, "g", LaunchTemplate={"LaunchTemplateId": tid, "Version": "1"})

    def deny(**_):
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"},
                           "ResponseMetadata": {"HTTPStatusCode": 403}}, "DescribeLaunchTemplateVersions")
    session.events.register_first("before-call.ec2.DescribeLaunchTemplateVersions", deny)
    result = _collect(session)
    assert _outcome(result, "DescribeLaunchTemplateVersions") == "access_denied"
    assert result["missing_launch_templates"].empty and result["launch_template_versions"].empty


def test_launch_configuration_that_does_not_exist_is_recorded_missing(aws):
    session, image = aws
    asg = session.client("autoscaling", R)
    for name in ("lc-kept", "lc-gone"):
        asg.create_launch_configuration(LaunchConfigurationName=name, ImageId=image, InstanceType="t3.micro")
        _group(session, f"g-{name}", LaunchConfigurationName=name)
    asg.delete_launch_configuration(LaunchConfigurationName="lc-gone")
    result = _collect(session)
    assert result["missing_launch_configurations"]["launch_configuration_name"].tolist() == ["lc-gone"]
    assert result["launch_configurations"]["launch_configuration_name"].tolist() == ["lc-kept"]
    assert _outcome(result, "DescribeLaunchConfigurations") == "ok"


def test_deregistered_ami_is_recorded_missing(aws):
    session, image = aws
    ec2 = session.client("ec2", R)
    old = ec2.register_image(Name="old-ami", RootDeviceName="/dev/xvda")["ImageId"]
    _group(session, "new", LaunchTemplate={"LaunchTemplateId": _template(session, "new", image)})
    _group(session, "old", LaunchTemplate={"LaunchTemplateId": _template(session, "old", old)})
    ec2.deregister_image(ImageId=old)  # AWS (and moto) then leave it out of DescribeImages
    result = _collect(session)
    assert result["images"]["image_id"].tolist() == [image]
    missing = result["missing_images"]
    assert missing["image_id"].tolist() == [old] and missing["error_code"].isna().all()
    assert _outcome(result, "DescribeImages") == "ok"


def test_one_missing_ami_among_many_is_found_by_splitting_within_the_budget():
    """AWS fails DescribeImages whole (InvalidAMIID.NotFound) for one unknown id: the call is split in
    halves until the unknown one is alone; each split spends the region's fallback budget."""
    import boto3
    from botocore.stub import Stubber

    from imds_audit.collect import ec2 as ec2_collect
    from imds_audit.collect.calls import CallLog, Caller

    client = boto3.client("ec2", region_name=R, aws_access_key_id="x", aws_secret_access_key="y")
    ids = [f"ami-{n:08x}" for n in range(4)]
    bad = ids[2]
    stub = Stubber(client)

    def expect(chunk):
        if bad in chunk:
            stub.add_client_error("describe_images", "InvalidAMIID.NotFound", f"The image id '[{bad}]' does not exist",
                                  400, expected_params={"ImageIds": chunk})
        else:
            stub.add_response("describe_images", {"Images": [{"ImageId": i, "ImdsSupport": "v2.0"} for i in chunk]},
                              expected_params={"ImageIds": chunk})
    for chunk in (ids, ids[:2], ids[2:], [ids[2]], [ids[3]]):
        expect(chunk)
    log = CallLog()
    caller = Caller(log, ACCOUNT, R, Limits(fallback_calls=10))
    with stub:
        got = ec2_collect.collect_images(caller, client, set(ids))
    stub.assert_no_pending_responses()
    assert sorted(r["image_id"] for r in got["images"]) == [ids[0], ids[1], ids[3]]
    assert got["missing_images"] == [{"account_id": ACCOUNT, "region": R, "image_id": bad,
                                      "error_code": "InvalidAMIID.NotFound"}]
    assert caller.fallbacks_left == 10 - 4 and log.rows()[0]["outcome"] == "ok"

    # With a budget of 1 split, the rest is not read: recorded as throttled, naming the budget.
    stub = Stubber(client)
    for chunk in (ids, ids[:2]):
        expect(chunk)
    log = CallLog()
    with stub:
        got = ec2_collect.collect_images(Caller(log, ACCOUNT, R, Limits(fallback_calls=1)), client, set(ids))
    assert [r["image_id"] for r in got["images"]] == ids[:2] and got["missing_images"] == []
    row = log.rows()[0]
    assert row["outcome"] == "throttled" and "fallback budget of 1 calls" in row["message"]


# ---- 13.4: every MetadataOptions field -----------------------------------------------------------------
def test_metadata_fields_are_every_field_of_botocores_model():
    """The collector keeps every MetadataOptions field the service model lists for each kind of record."""
    session = botocore.session.get_session()
    ec2, asg = session.get_service_model("ec2"), session.get_service_model("autoscaling")
    assert set(metadata.TEMPLATE_FIELDS) == set(ec2.shape_for("LaunchTemplateInstanceMetadataOptions").members)
    assert set(metadata.INSTANCE_FIELDS) == set(ec2.shape_for("InstanceMetadataOptionsResponse").members)
    assert set(metadata.LAUNCH_CONFIGURATION_FIELDS) == set(asg.shape_for("InstanceMetadataOptions").members)
    for table, fields in (("launch_template_versions", metadata.TEMPLATE_FIELDS),
                          ("instances", metadata.INSTANCE_FIELDS),
                          ("launch_configurations", metadata.LAUNCH_CONFIGURATION_FIELDS)):
        assert {metadata.COLUMNS[f] for f in fields} <= set(snap.TABLES[table]), table


def test_instance_metadata_tags_and_ipv6_are_collected(aws):
    session, image = aws
    options = {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2,
               "InstanceMetadataTags": "enabled", "HttpProtocolIpv6": "enabled"}
    tid = _template(session, "tags-on", image, MetadataOptions=options)
    _group(session, "g", capacity=1, LaunchTemplate={"LaunchTemplateId": tid})
    asg = session.client("autoscaling", R).describe_auto_scaling_groups()["AutoScalingGroups"][0]
    session.client("ec2", R).modify_instance_metadata_options(
        InstanceId=asg["Instances"][0]["InstanceId"], HttpTokens="required", InstanceMetadataTags="enabled",
        HttpProtocolIpv6="enabled")
    result = _collect(session)
    version = result["launch_template_versions"].iloc[0]
    assert (version["instance_metadata_tags"], version["http_protocol_ipv6"], version["hop_limit"]) == (
        "enabled", "enabled", 2)
    instance = result["instances"].iloc[0]
    assert instance["instance_metadata_tags"] == "enabled" and instance["http_protocol_ipv6"] == "enabled"
    assert instance["metadata_options_state"] == "applied"


# ---- 13.6: AMIs named by an SSM parameter ----------------------------------------------------------------
PUBLIC = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def test_ssm_parameters_resolve_to_amis_and_nothing_else_is_stored(aws, tmp_path):
    session, image = aws
    ssm = session.client("ssm", R)
    ssm.put_parameter(Name="/golden/app", Value=image, Type="String", DataType="aws:ec2:image")
    ssm.label_parameter_version(Name="/golden/app", Labels=["prod"])
    secret = "s3cr3t-db-password-in-a-parameter"
    ssm.put_parameter(Name="/app/db-password", Value=secret, Type="String")
    refs = [PUBLIC, "/golden/app", "/golden/app:prod", "/golden/app:1", "/app/db-password", "/does/not/exist"]
    for n, ref in enumerate(refs):
        tid = _template(session, f"ssm-{n}", f"resolve:ssm:{ref}")
        _group(session, f"g{n}", LaunchTemplate={"LaunchTemplateId": tid})
    asked = []
    session.events.register("before-parameter-build.ssm.GetParameters", lambda params=None, **_: asked.append(params))
    result = _collect(session)
    got = result["ssm_parameters"].set_index("parameter")
    public_ami = ssm.get_parameters(Names=[PUBLIC])["Parameters"][0]["Value"]
    assert got.loc[PUBLIC, "image_id"] == public_ami and got.loc[PUBLIC, "outcome"] == "resolved"
    for ref in ("/golden/app", "/golden/app:prod", "/golden/app:1"):
        assert got.loc[ref, "image_id"] == image and got.loc[ref, "outcome"] == "resolved", ref
    assert got.loc["/app/db-password", "outcome"] == "not_an_ami"
    assert pd_isna(got.loc["/app/db-password", "image_id"])
    assert got.loc["/does/not/exist", "outcome"] == "not_found"
    assert _outcome(result, "GetParameters") == "ok"
    assert all(p["WithDecryption"] is False and len(p["Names"]) <= 10 for p in asked)
    # The resolved AMIs are described with the others (ImdsSupport): the estate's own is found, the
    # public one does not exist in this moto (no default AMIs loaded) and is recorded missing.
    assert image in set(result["images"]["image_id"])
    assert public_ami in set(result["missing_images"]["image_id"])
    path = snap.write(result, tmp_path / "s")
    blob = b"".join(p.read_bytes() for p in Path(path).iterdir())
    assert secret.encode() not in blob


def pd_isna(value) -> bool:
    import pandas as pd
    return bool(pd.isna(value))


# ---- 16.8: user data never stored ----------------------------------------------------------------------
def test_user_data_of_templates_and_launch_configurations_never_reaches_the_snapshot(aws, tmp_path):
    session, image = aws
    secret = "hunter2-SECRET-in-user-data-" * 4
    encoded = base64.b64encode(secret.encode()).decode()
    tid = _template(session, "ud", image, UserData=encoded)
    _group(session, "lt", capacity=1, LaunchTemplate={"LaunchTemplateId": tid})
    session.client("autoscaling", R).create_launch_configuration(
        LaunchConfigurationName="ud-lc", ImageId=image, InstanceType="t3.micro", UserData=secret)
    _group(session, "lc", capacity=1, LaunchConfigurationName="ud-lc")
    result = _collect(session)
    assert len(result["launch_template_versions"]) == 1 and len(result["launch_configurations"]) == 1
    path = snap.write(result, tmp_path / "s")
    blob = b"".join(p.read_bytes() for p in Path(path).iterdir())
    assert b"hunter2" not in blob and encoded[:40].encode() not in blob
