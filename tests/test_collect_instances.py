"""Instances and IMDSv1 usage are never "ready" by default (issue 16.1, collector side): Auto Scaling's own
instance list is kept, a DescribeInstances that fails or leaves instances out is recorded as such, and
usage that CloudWatch did not give in full is not zero."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from imds_audit.collect import cloudwatch
from imds_audit.collect.calls import CallLog, Caller
from imds_audit.collect.limits import Limits
from imds_audit.collect.run import Options, Target, collect
from imds_audit.demo import demo_session, simulated_aws

R, ACCOUNT = "us-east-1", "123456789012"
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)


@pytest.fixture
def fleet():
    """One group with two running instances, one of which called IMDSv1 37 times."""
    with simulated_aws():
        session = demo_session()
        ec2 = session.client("ec2", R)
        image = ec2.register_image(Name="app-ami", RootDeviceName="/dev/xvda")["ImageId"]
        tid = ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={"ImageId": image})[
            "LaunchTemplate"]["LaunchTemplateId"]
        asg = session.client("autoscaling", R)
        asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=0, MaxSize=2, DesiredCapacity=2,
                                      AvailabilityZones=[f"{R}a"], LaunchTemplate={"LaunchTemplateId": tid})
        ids = sorted(i["InstanceId"] for i in asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"])
        session.client("cloudwatch", R).put_metric_data(Namespace="AWS/EC2", MetricData=[{
            "MetricName": "MetadataNoToken", "Dimensions": [{"Name": "InstanceId", "Value": ids[0]}],
            "Value": 37.0, "Unit": "Count", "Timestamp": datetime.now(timezone.utc) - timedelta(days=1)}])
        yield session, ids


def _collect(session):
    return collect([Target(ACCOUNT, session)], Options(regions=[R], quiet=True, limits=Limits(max_attempts=1)), "t")


def _call(result, api):
    return {c["api"]: c for c in result.api_calls if c["region"] == R}[api]


def test_auto_scaling_instance_list_is_kept(fleet):
    session, ids = fleet
    result = _collect(session)
    listed = result["asg_instances"]
    assert sorted(listed["instance_id"]) == ids and set(listed["asg_name"]) == {"g"}
    assert set(listed["lifecycle_state"]) == {"InService"} and set(listed["health_status"]) == {"Healthy"}
    assert listed["launch_template_id"].notna().all()
    usage = result["imdsv1_usage"].set_index("instance_id")
    assert usage.loc[ids[0], "metadata_no_token"] == 37.0 and usage.loc[ids[1], "metadata_no_token"] == 0.0
    assert set(usage["status"]) == {"Complete"}
    assert _call(result, "GetMetricData")["outcome"] == "ok"


@pytest.mark.parametrize("code, status, outcome", [("UnauthorizedOperation", 403, "access_denied"),
                                                   ("500", 500, "error")])
def test_describe_instances_that_fails_leaves_the_group_with_its_instances_and_usage(fleet, code, status, outcome):
    """DescribeInstances denied, or a bare HTTP 500: the instances are still known from Auto Scaling,
    usage is still asked for them, and GetMetricData is never "ok, no instances to query"."""
    session, ids = fleet

    def fail(**_):
        raise ClientError({"Error": {"Code": code, "Message": "Internal Server Error" if code == "500" else "no"},
                           "ResponseMetadata": {"HTTPStatusCode": status}}, "DescribeInstances")
    session.events.register_first("before-call.ec2.DescribeInstances", fail)
    result = _collect(session)
    assert result["instances"].empty
    assert sorted(result["asg_instances"]["instance_id"]) == ids
    assert _call(result, "DescribeInstances")["outcome"] == outcome
    assert _call(result, "GetMetricData") == {"account_id": ACCOUNT, "region": R, "api": "GetMetricData",
                                              "outcome": "ok", "message": ""}
    assert sorted(result["imdsv1_usage"]["instance_id"]) == ids


def test_describe_instances_answering_none_of_the_asked_ids_is_incomplete(fleet):
    """A 200 that holds none of the instances Auto Scaling reports is not "no instances"."""
    session, ids = fleet

    def empty(parsed=None, **_):
        parsed["Reservations"] = []
    session.events.register("after-call.ec2.DescribeInstances", empty)
    result = _collect(session)
    call = _call(result, "DescribeInstances")
    assert call["outcome"] == "error" and call["message"].startswith("incomplete answer: 2 instances")
    assert result["instances"].empty and len(result["asg_instances"]) == 2


# ---- GetMetricData: paging and StatusCode, on botocore's Stubber with the real response shape ------------
def _client():
    return boto3.client("cloudwatch", region_name=R, aws_access_key_id="x", aws_secret_access_key="y")


def _usage(pages, ids=("i-a", "i-b")):
    client = _client()
    stub = Stubber(client)
    for page in pages:
        stub.add_response("get_metric_data", page)
    log = CallLog()
    with stub:
        rows = cloudwatch.collect_usage(Caller(log, ACCOUNT, R), client, list(ids), 14, now=NOW)
    stub.assert_no_pending_responses()
    return {r["instance_id"]: (r["metadata_no_token"], r["status"]) for r in rows}, log.rows()


def _result(qid, values, status="Complete"):
    return {"Id": qid, "Label": "MetadataNoToken", "Timestamps": [NOW] * len(values), "Values": values,
            "StatusCode": status}


def test_usage_pages_are_followed_and_summed():
    got, calls = _usage([
        {"MetricDataResults": [_result("q0", [3.0], "PartialData"), _result("q1", [])], "NextToken": "more"},
        {"MetricDataResults": [_result("q0", [4.0])]},
    ])
    assert got == {"i-a": (7.0, "Complete"), "i-b": (0.0, "Complete")}
    assert calls[0]["outcome"] == "ok"


@pytest.mark.parametrize("status, outcome", [("PartialData", "error"), ("InternalError", "error"),
                                             ("Forbidden", "access_denied")])
def test_usage_not_complete_is_not_zero(status, outcome):
    got, calls = _usage([{"MetricDataResults": [_result("q0", [5.0], status), _result("q1", [])]}])
    assert got == {"i-a": (None, status), "i-b": (0.0, "Complete")}
    assert calls[0]["outcome"] == outcome and f"{status}: 1" in calls[0]["message"]


def test_lost_data_stays_lost_when_a_later_page_continues():
    got, _ = _usage([
        {"MetricDataResults": [_result("q0", [5.0], "InternalError"), _result("q1", [])], "NextToken": "t"},
        {"MetricDataResults": [_result("q0", [1.0])]},
    ])
    assert got["i-a"] == (None, "InternalError")


def test_query_without_a_result_is_not_zero():
    got, calls = _usage([{"MetricDataResults": [_result("q1", [2.0])]}])
    assert got == {"i-a": (None, "NoResult"), "i-b": (2.0, "Complete")}
    assert calls[0]["outcome"] == "error" and "NoResult: 1" in calls[0]["message"]


def test_usage_call_that_fails_is_not_read_and_not_zero():
    client = _client()
    stub = Stubber(client)
    stub.add_client_error("get_metric_data", "AccessDenied", "no", 403)
    log = CallLog()
    with stub:
        rows = cloudwatch.collect_usage(Caller(log, ACCOUNT, R), client, ["i-a"], 14, now=NOW)
    assert [(r["metadata_no_token"], r["status"]) for r in rows] == [(None, "NotRead")]
    assert log.rows()[0]["outcome"] == "access_denied"


def test_groups_read_in_part_never_say_there_are_no_instances_to_query():
    """DescribeAutoScalingGroups failing on its second page: the groups read are kept, but "no
    instances to query" is not said from an incomplete list."""
    with simulated_aws():
        session = demo_session()
        asg = session.client("autoscaling", R)
        ec2 = session.client("ec2", R)
        image = ec2.register_image(Name="app-ami", RootDeviceName="/dev/xvda")["ImageId"]
        tid = ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={"ImageId": image})[
            "LaunchTemplate"]["LaunchTemplateId"]
        for n in range(101):  # more than one page of 100
            asg.create_auto_scaling_group(AutoScalingGroupName=f"g{n:03d}", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                          AvailabilityZones=[f"{R}a"], LaunchTemplate={"LaunchTemplateId": tid})

        def second_page_throttled(params=None, **_):
            if params.get("NextToken"):
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                                   "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeAutoScalingGroups")
        session.events.register_first("before-parameter-build.autoscaling.DescribeAutoScalingGroups",
                                      second_page_throttled)
        result = _collect(session)
    assert len(result["auto_scaling_groups"]) == 100
    assert _call(result, "DescribeAutoScalingGroups")["outcome"] == "throttled"
    assert "GetMetricData" not in {c["api"] for c in result.api_calls if c["region"] == R}
