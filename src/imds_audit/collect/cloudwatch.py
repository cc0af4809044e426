"""IMDSv1 usage per instance: the CloudWatch metric EC2 MetadataNoToken, summed over a window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from imds_audit.collect.calls import Caller

QUERIES_PER_CALL = 500  # GetMetricData's maximum number of queries in one request


def collect_usage(caller: Caller, client, instance_ids: list[str], window_days: int,
                  now: datetime | None = None) -> list[dict]:
    end = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    start = end - timedelta(days=window_days)
    period = window_days * 86400
    rows = []
    for i in range(0, len(instance_ids), QUERIES_PER_CALL):
        chunk = instance_ids[i:i + QUERIES_PER_CALL]
        queries = [{
            "Id": f"q{n}",
            "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "MetadataNoToken",
                                      "Dimensions": [{"Name": "InstanceId", "Value": iid}]},
                           "Period": period, "Stat": "Sum"},
            "ReturnData": True,
        } for n, iid in enumerate(chunk)]
        results = caller.pages(client, "GetMetricData", "MetricDataResults", MetricDataQueries=queries,
                               StartTime=start, EndTime=end)
        if results is None:
            continue
        totals: dict[str, float] = {}
        for res in results:
            n = int(res["Id"][1:])
            totals[chunk[n]] = totals.get(chunk[n], 0.0) + float(sum(res.get("Values", [])))
        for iid in chunk:
            rows.append({"account_id": caller.account, "region": caller.region, "instance_id": iid,
                         "metadata_no_token": totals.get(iid, 0.0), "window_days": window_days})
    return rows
