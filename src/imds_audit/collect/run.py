"""The collection run: accounts × regions fanned out over a bounded pool, into one snapshot."""

from __future__ import annotations

import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import boto3

from imds_audit import snapshot as snap
from imds_audit.collect import autoscaling, cloudwatch, ec2, eks, iam, ssm, templates
from imds_audit.collect import filters as flt
from imds_audit.collect import regions as reg
from imds_audit.collect.calls import CallLog, Caller, classify
from imds_audit.collect.limits import Limits


@dataclass
class Target:
    account_id: str
    session: boto3.session.Session
    label: str = ""


@dataclass
class Options:
    regions: list[str] | None = None          # None or ["all"]: every region enabled for the account
    window_days: int = 14
    tag_keys: tuple[str, ...] = autoscaling.DEFAULT_TAG_KEYS
    workers: int = 8
    quiet: bool = False
    settings: dict = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    groups: flt.GroupFilter = field(default_factory=flt.GroupFilter)  # --asg, --tag
    exclude_regions: tuple[str, ...] = ()     # --exclude-regions: never called, never listed

    @property
    def filtered(self) -> bool:
        return self.groups.active or bool(self.exclude_regions)


# Not a table: per account and region, how many groups the filters left out (the manifest's scope).
FILTERED_OUT = "filtered_out"


def client(session, service: str, region: str | None = None, limits: Limits | None = None):
    return session.client(service, region_name=region, config=(limits or Limits()).client_config())


def caller_account(session) -> tuple[str, str]:
    identity = client(session, "sts").get_caller_identity()
    return identity["Account"], identity["Arn"]


def resolve_regions(target: Target, wanted: list[str] | None, log: CallLog,
                    limits: Limits | None = None, exclude=()) -> list[str]:
    """The regions to audit in ``target``: those named, or those enabled for the account (asked of
    EC2 in the session's region, or of another region when that one is excluded); never one of
    ``exclude``."""
    if wanted and wanted != ["all"]:
        return [r for r in wanted if r not in exclude]
    home = reg.elsewhere(target.session.region_name or "us-east-1", exclude)
    if home is None:
        return []
    caller = Caller(log, target.account_id, home, limits)
    found = caller.call(caller.bind(client(target.session, "ec2", home, limits)), "DescribeRegions")
    if found is None:
        return [home]  # the failure is in the manifest; the home region is still assessed
    return sorted(r["RegionName"] for r in found["Regions"] if r["RegionName"] not in exclude)


def collect_region(target: Target, region: str, opts: Options, log: CallLog) -> dict[str, list[dict]]:
    """Everything the verdict needs from one account and region."""
    caller = Caller(log, target.account_id, region, opts.limits)

    def regional(service):
        return caller.bind(client(target.session, service, region, opts.limits))

    asg, ec2c = regional("autoscaling"), regional("ec2")
    rows: dict[str, list[dict]] = defaultdict(list)
    groups = autoscaling.collect_groups(caller, asg, opts.tag_keys, opts.groups if opts.groups.active else None)
    rows["metadata_defaults"] += ec2.collect_metadata_defaults(caller, ec2c)
    if groups is None:
        return rows
    if groups["filtered_out"]:
        rows[FILTERED_OUT].append({"account_id": target.account_id, "region": region,
                                   "groups": groups["filtered_out"]})
    found = templates.collect_templates(caller, ec2c, groups["launch_sources"])
    sources = templates.with_ids(groups["launch_sources"], found.ids_by_name)
    rows["auto_scaling_groups"] += groups["auto_scaling_groups"]
    rows["launch_sources"] += sources
    rows["asg_instances"] += groups["asg_instances"]
    if eks.node_groups(groups["auto_scaling_groups"]):
        rows["eks_nodegroups"] += eks.collect_nodegroups(caller, regional("eks"),
                                                         groups["auto_scaling_groups"])
    lc_names = sorted({s["launch_configuration_name"] for s in sources if s.get("launch_configuration_name")})
    for k, v in [*autoscaling.collect_launch_configurations(caller, asg, lc_names).items(),
                 *found.tables.items()]:
        rows[k] += v
    rows["instances"] += ec2.collect_instances(caller, ec2c, groups["asg_instances"])
    image_ids = {r["image_id"] for k in ("launch_template_versions", "launch_configurations", "instances")
                 for r in rows[k] if r.get("image_id")}
    refs = ssm.references(image_ids)
    if refs:
        rows["ssm_parameters"] += ssm.collect_parameters(caller, regional("ssm"), refs)
        image_ids |= {p["image_id"] for p in rows["ssm_parameters"] if p["image_id"]}
    for k, v in ec2.collect_images(caller, ec2c, image_ids).items():
        rows[k] += v
    # Usage is asked for every instance Auto Scaling lists, whether or not DescribeInstances could
    # be read: "no instances to query" is said only when the groups have none.
    instance_ids = sorted({i["instance_id"] for i in groups["asg_instances"]})
    if instance_ids:
        rows["imdsv1_usage"] += cloudwatch.collect_usage(caller, regional("cloudwatch"), instance_ids,
                                                         opts.window_days)
    elif log.outcomes.get((target.account_id, region, "DescribeAutoScalingGroups"), ("?",))[0] == "ok":
        # Only a complete list of groups can say there is nothing to ask.
        log.record(target.account_id, region, "GetMetricData", "ok", "no instances to query")
    return rows


def collect_account_iam(target: Target, opts: Options, log: CallLog) -> dict[str, list[dict]]:
    caller = Caller(log, target.account_id, "global", opts.limits)
    return iam.collect_iam(caller, caller.bind(client(target.session, "iam", None, opts.limits)))


def collect(targets: list[Target], opts: Options, collected_by: str,
            failed_accounts: list[dict] | None = None) -> snap.Snapshot:
    """Collect every target; failures are recorded, never raised."""
    log = CallLog()
    for failed in failed_accounts or []:
        log.record(failed["account_id"], "global", failed["api"], failed["outcome"], failed["message"])
    plan: list[tuple[Target, str | None]] = []
    for t in targets:
        plan.append((t, None))
        plan += [(t, r) for r in resolve_regions(t, opts.regions, log, opts.limits, opts.exclude_regions)]
    tables: dict[str, list[dict]] = defaultdict(list)
    progress = _progress(len(plan), opts.quiet)
    with ThreadPoolExecutor(max_workers=max(1, opts.workers)) as pool:
        futures = {
            pool.submit(collect_account_iam if region is None else collect_region,
                        *((t, opts, log) if region is None else (t, region, opts, log))): (t, region)
            for t, region in plan
        }
        for fut in as_completed(futures):
            t, region = futures[fut]
            try:
                for k, v in fut.result().items():
                    tables[k] += v
            except Exception as exc:  # a bug or an unexpected shape: recorded, the run goes on
                outcome, message = classify(exc)
                log.record(t.account_id, region or "global", "collector", outcome, message)
            progress(f"{t.account_id} {region or 'iam'}")
    progress(None)
    regions = sorted({r for _, r in plan if r})
    accounts = sorted({t.account_id for t in targets} | {f["account_id"] for f in failed_accounts or []})
    settings = {"usage_window_days": opts.window_days, **opts.limits.settings(), **opts.settings}
    scope = {"accounts": accounts, "regions": regions}
    left_out = sorted(tables.pop(FILTERED_OUT, []), key=lambda row: (row["account_id"], row["region"]))
    if opts.filtered:  # absent (as in snapshots written before filters existed): nothing was left out
        scope["filters"] = flt.scope_facts(opts.groups, opts.exclude_regions)
        scope["filtered_out"] = left_out
    return snap.new(tables, scope=scope, api_calls=log.rows(), collected_by=collected_by, settings=settings)


def _progress(total: int, quiet: bool):
    """A progress bar on a terminal; silent otherwise."""
    if quiet or not sys.stderr.isatty():
        return lambda label: None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("collecting", total=total)
    bar.start()

    def step(label):
        if label is None:
            bar.stop()
        else:
            bar.update(task, advance=1, description=label)
    return step
