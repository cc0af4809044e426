"""IMDSv1 usage per instance: the CloudWatch metric EC2 MetadataNoToken, summed over a window.

A sum is stored only when CloudWatch says the data is complete. A result whose StatusCode is
PartialData, InternalError or Forbidden, or a query that got no result at all, is not zero: its
``status`` says what happened, ``metadata_no_token`` stays NA, and the region's GetMetricData outcome
is not ok. Never an invented 0.0.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from imds_audit.collect.calls import Caller
from imds_audit.collect.lookup import chunks

QUERIES_PER_CALL = 500  # GetMetricData's maximum number of queries in one request
COMPLETE = "Complete"
NO_RESULT = "NoResult"   # the answer held no result for the query
NOT_READ = "NotRead"     # the call failed (recorded in the manifest)
# Data lost on a page stays lost even if a later page continues the query.
STICKY = ("InternalError", "Forbidden")


def collect_usage(caller: Caller, client, instance_ids: list[str], window_days: int,
                  now: datetime | None = None) -> list[dict]:
    end = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    start = end - timedelta(days=window_days)
    period = window_days * 86400
    rows = []
    for chunk in chunks(sorted(instance_ids), QUERIES_PER_CALL):
        ids = {f"q{n}": iid for n, iid in enumerate(chunk)}
        queries = [{
            "Id": qid,
            "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "MetadataNoToken",
                                      "Dimensions": [{"Name": "InstanceId", "Value": iid}]},
                           "Period": period, "Stat": "Sum"},
            "ReturnData": True,
        } for qid, iid in ids.items()]
        # The paginator follows NextToken: a query's values may continue on the next page.
        results = caller.pages(client, "GetMetricData", "MetricDataResults", MetricDataQueries=queries,
                               StartTime=start, EndTime=end)
        totals, status = _fold(results or [], ids)
        missing = NO_RESULT if results is not None and results.complete else NOT_READ
        for iid in chunk:
            st = status.get(iid, missing)
            rows.append({"account_id": caller.account, "region": caller.region, "instance_id": iid,
                         "metadata_no_token": totals.get(iid, 0.0) if st == COMPLETE else None,
                         "status": st, "window_days": window_days})
    _record(caller, rows)
    return rows


def _fold(results: list[dict], ids: dict[str, str]) -> tuple[dict[str, float], dict[str, str]]:
    """Sum each query's values over its pages; its status is the last page's unless data was lost."""
    totals: dict[str, float] = {}
    status: dict[str, str] = {}
    for res in results:
        iid = ids.get(res.get("Id"))
        if iid is None:
            continue
        totals[iid] = totals.get(iid, 0.0) + float(sum(res.get("Values") or []))
        if status.get(iid) not in STICKY:
            status[iid] = str(res.get("StatusCode") or NO_RESULT)[:40]
    return totals, status


def _record(caller: Caller, rows: list[dict]) -> None:
    """Usage that is not complete makes the region's GetMetricData outcome not ok."""
    counts = Counter(r["status"] for r in rows if r["status"] not in (COMPLETE, NOT_READ))
    if not counts:
        return
    outcome = "access_denied" if "Forbidden" in counts else "error"
    detail = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items()))
    caller.log.record(caller.account, caller.region, "GetMetricData", outcome,
                      f"MetadataNoToken not complete for {sum(counts.values())} of {len(rows)} instances "
                      f"({detail})")
