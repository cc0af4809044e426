"""What must change, per account and region, to make every non-compliant group IMDSv2-only.

Pure: findings in, one plan out, built once per run (``pipeline``) and stored with the findings. Each
action is done once even when several groups need it (a template shared by groups gets one new version
per source version). The bundle, each group's fix in the report, the console steps and Terraform are
all rendered from this one plan, so every channel says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from imds_audit.analyze import owner
from imds_audit.remediate.hop import hop_limit_for, source_hop
from imds_audit.remediate.quoting import Var, launch_template_name_for
from imds_audit.remediate.readiness import Readiness, readiness_warning

# The order actions run in, within one account and region. Templates exist before groups point at
# them; groups point at fixed versions before their instances are replaced.
ORDER = ("read_lc", "create_template", "create_version", "set_default", "update_group", "update_mixed",
         "switch_group", "update_nodegroup", "update_environment", "stack_change", "refresh")
# Groups that cannot launch and that the plan still serves: a pinned version that no longer exists gets
# a new version to point at; the others get a note saying what to point the group at.
LAUNCH_FAILURES = ("template_missing", "version_missing", "configuration_missing", "image_missing")


@dataclass
class Action:
    kind: str
    account_id: str
    region: str
    facts: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)    # names of the groups this action serves
    var: Var | None = None                         # what the action yields at apply time (version, id)
    order: tuple = ()
    argv: list = field(default_factory=list)       # filled by cli_steps
    capture: Var | None = None
    pattern: str | None = None
    to_file: object | None = None


@dataclass
class HopChange:
    """A fixed source whose hop limit differs from today's, or from the one the group needs."""
    source: dict
    before: int                   # today's effective hop limit
    after: int                    # what the new version sets
    wanted: int                   # what this group alone would get
    shared_with: list = field(default_factory=list)  # other groups of the version that set ``after``


@dataclass
class GroupFix:
    group: dict
    sources: list                 # the group's source rows (dicts)
    actions: list                 # the actions that fix this group, in run order
    readiness: Readiness | None
    unfixable: list               # source rows of the group that cannot be fixed (unknown verdict)
    hop_changes: list             # HopChange, where the hop limit changes or is kept for another group
    notes: list = field(default_factory=list)  # Note: what the reader must know (owner, cannot launch)


@dataclass
class Note:
    """A sentence of the fix, as a catalogue code (``rem.note.<code>``) and the facts it names."""
    code: str
    facts: dict = field(default_factory=dict)


@dataclass
class Plan:
    actions: list
    fixes: list
    scopes: list                  # (account_id, region) pairs the estate covers, for preventive controls

    def fix_for(self, account_id: str, region: str, asg_name: str) -> GroupFix | None:
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.fixes):
            index = {(f.group["account_id"], f.group["region"], f.group["asg_name"]): f for f in self.fixes}
            self.__dict__["_index"] = index
        return index.get((account_id, region, asg_name))


def _records(frame) -> list[dict]:
    if frame is None:
        return []
    if isinstance(frame, pd.DataFrame):
        frame = frame.astype(object).where(frame.notna(), None).to_dict("records")
    elif isinstance(frame, pd.Series):
        frame = [frame.astype(object).where(frame.notna(), None).to_dict()]
    elif isinstance(frame, dict):
        frame = [frame]
    return [{k: (None if _isna(v) else v) for k, v in dict(r).items()} for r in frame]


# Types pd.isna is always False for: skip the call (it dominates converting large frames).
_NEVER_NA = (str, int, bool)


def _isna(value) -> bool:
    if type(value) in _NEVER_NA:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _int(value) -> int | None:
    return None if value is None else int(value)


def _instances(group: dict) -> int | None:
    n = group.get("instances")
    return None if n is None else int(n)


def lc_index(launch_configurations: list[dict]) -> dict:
    """Launch configuration records by (account_id, region, name); the last row of a key wins."""
    return {(r["account_id"], r["region"], r["launch_configuration_name"]): r for r in launch_configurations}


class _Builder:
    def __init__(self, sources: list[dict], lcs: dict):
        self.all_sources = sources
        self.lcs = lcs
        self.actions: dict[tuple, Action] = {}
        self.counter = {"NEW_VERSION": 0, "NEW_TEMPLATE": 0, "LC_DATA": 0, "MIXED_POLICY": 0}

    def _next(self, prefix: str) -> int:
        self.counter[prefix] += 1
        return self.counter[prefix]

    def _get(self, key: tuple, make) -> Action:
        if key not in self.actions:
            self.actions[key] = make()
        return self.actions[key]

    # launch templates ------------------------------------------------------------------------------
    def new_version(self, acct, region, src, hop, group_name, purpose="fix") -> Action:
        """One new version per (template, source version), however many groups launch from it."""
        version = int(src["version_resolved"])
        key = ("create_version", acct, region, src["launch_template_id"], version)

        def make():
            return Action("create_version", acct, region, facts={
                "lt_id": src["launch_template_id"],
                "lt_name": src.get("launch_template_name") or src["launch_template_id"],
                "source_version": version, "hop": hop, "purpose": purpose,
                "metadata": _metadata(hop, src)},
                var=Var(f"NEW_VERSION_{self._next('NEW_VERSION')}"))
        action = self._get(key, make)
        # Groups sharing a template may disagree on the hop limit: the larger one breaks none of them.
        if hop > action.facts["hop"]:
            action.facts["hop"] = hop
            action.facts["metadata"] = _metadata(hop, src)
        if purpose == "fix":
            action.facts["purpose"] = "fix"
        if group_name and group_name not in action.groups:
            action.groups.append(group_name)
        return action

    def set_default(self, acct, region, src, version_action, group_name) -> Action:
        key = ("set_default", acct, region, src["launch_template_id"])
        action = self._get(key, lambda: Action("set_default", acct, region, facts={
            "lt_id": src["launch_template_id"],
                "lt_name": src.get("launch_template_name") or src["launch_template_id"],
            "source_version": version_action.facts["source_version"],
            "version_var": version_action.var}))
        if group_name not in action.groups:
            action.groups.append(group_name)
        return action

    def update_group(self, acct, region, group, src, version_action) -> Action:
        key = ("update_group", acct, region, group["asg_name"])
        return self._get(key, lambda: Action("update_group", acct, region, facts={
            "asg_name": group["asg_name"], "lt_id": src["launch_template_id"],
            "lt_name": src.get("launch_template_name") or src["launch_template_id"],
            "old_version": src.get("version_requested"),
            "version_var": version_action.var}, groups=[group["asg_name"]]))

    def update_mixed(self, acct, region, group, src, version_action) -> Action:
        key = ("update_mixed", acct, region, group["asg_name"])
        action = self._get(key, lambda: Action("update_mixed", acct, region, facts={
            "asg_name": group["asg_name"], "rewrites": [],
            "file_index": self._next("MIXED_POLICY")}, groups=[group["asg_name"]]))
        rewrite = {"lt_id": src["launch_template_id"],
                "lt_name": src.get("launch_template_name") or src["launch_template_id"],
                   "old_version": str(src.get("version_requested")), "version_var": version_action.var,
                   "position": src.get("position")}
        if all((r["lt_id"], r["old_version"]) != (rewrite["lt_id"], rewrite["old_version"])
               for r in action.facts["rewrites"]):
            action.facts["rewrites"].append(rewrite)
        action.facts.setdefault("positions", []).append(src.get("position"))
        return action

    # launch configurations ---------------------------------------------------------------------------
    def migrate_lc(self, acct, region, group, src, hop) -> tuple[Action, Action]:
        """A launch configuration is read once at apply time and copied into one new launch template."""
        name = src["launch_configuration_name"]
        snapshot = self.lcs.get((acct, region, name), {})
        index = None

        def make_read():
            nonlocal index
            index = self._next("LC_DATA")
            return Action("read_lc", acct, region, facts={
                "lc_name": name, "hop": hop, "file_index": index, "snapshot": snapshot})
        read = self._get(("read_lc", acct, region, name), make_read)
        read.facts["hop"] = max(read.facts["hop"], hop)
        create = self._get(("create_template", acct, region, name), lambda: Action(
            "create_template", acct, region, facts={
                "lc_name": name, "new_name": launch_template_name_for(name),
                "file_index": read.facts["file_index"], "snapshot": snapshot, "hop": hop},
            var=Var(f"NEW_TEMPLATE_{self._next('NEW_TEMPLATE')}")))
        create.facts["hop"] = read.facts["hop"]
        for a in (read, create):
            if group["asg_name"] not in a.groups:
                a.groups.append(group["asg_name"])
        return read, create

    def switch_group(self, acct, region, group, src, create) -> Action:
        key = ("switch_group", acct, region, group["asg_name"])
        return self._get(key, lambda: Action("switch_group", acct, region, facts={
            "asg_name": group["asg_name"], "lc_name": src["launch_configuration_name"],
            "new_name": create.facts["new_name"], "template_var": create.var},
            groups=[group["asg_name"]]))

    def refresh(self, acct, region, group) -> Action:
        key = ("refresh", acct, region, group["asg_name"])
        return self._get(key, lambda: Action("refresh", acct, region, facts={
            "asg_name": group["asg_name"], "instances": _instances(group)},
            groups=[group["asg_name"]]))

    # owners ---------------------------------------------------------------------------------------------
    def update_nodegroup(self, acct, region, group, version_action) -> Action:
        key = ("update_nodegroup", acct, region, group["owner_name"], group["owner_resource"])
        action = self._get(key, lambda: Action("update_nodegroup", acct, region, facts={
            "cluster": group["owner_name"], "nodegroup": group["owner_resource"],
            "lt_id": version_action.facts["lt_id"], "lt_name": version_action.facts["lt_name"],
            "version_var": version_action.var}))
        if group["asg_name"] not in action.groups:
            action.groups.append(group["asg_name"])
        return action

    def update_environment(self, acct, region, group) -> Action:
        key = ("update_environment", acct, region, group["owner_id"])
        action = self._get(key, lambda: Action("update_environment", acct, region, facts={
            "environment": group["owner_name"], "environment_id": group.get("owner_id")}))
        if group["asg_name"] not in action.groups:
            action.groups.append(group["asg_name"])
        return action

    def stack_change(self, acct, region, group, src, hop) -> Action:
        """One change to a stack's template per resource: the launch template the stack made, or the
        group's own resource (its version, or its launch configuration)."""
        if src.get("source_kind") == "launch_template" and src.get("template_stack"):
            kind, stack, resource = "launch_template", src["template_stack"], src.get("template_logical_id")
            ident = src.get("launch_template_id")
        elif src.get("source_kind") == "launch_template":
            kind, stack, resource = "group_version", group.get("owner_name"), group.get("owner_resource")
            ident = group["asg_name"]
        else:  # MetadataOptions sit on the launch configuration's resource, whose logical id no tag names
            kind, stack, resource = "launch_configuration", group.get("owner_name"), None
            ident = src.get("launch_configuration_name")
        key = ("stack_change", acct, region, stack, kind, ident)
        action = self._get(key, lambda: Action("stack_change", acct, region, facts={
            "change": kind, "stack": stack or "?", "logical_id": resource,
            "lt_id": src.get("launch_template_id"), "lt_name": src.get("launch_template_name"),
            "lc_name": src.get("launch_configuration_name"), "version": src.get("version_requested"),
            "hop": hop, "metadata": _metadata(hop, src)}))
        if hop > action.facts["hop"]:
            action.facts["hop"], action.facts["metadata"] = hop, _metadata(hop, src)
        if group["asg_name"] not in action.groups:
            action.groups.append(group["asg_name"])
        return action

    # $Latest -------------------------------------------------------------------------------------------
    def keep_latest(self) -> None:
        """Creating a version moves ``$Latest``. For each template that gets new versions and that some
        group (of any status) launches at ``$Latest``, the version made from the ``$Latest`` version must
        be the last one created; when that version needs no fix, an unchanged copy of it is created last,
        so a ``$Latest`` group keeps launching what it launched before."""
        created = [a for a in self.actions.values() if a.kind == "create_version"]
        templates = {(a.account_id, a.region, a.facts["lt_id"]) for a in created}
        if not templates:
            return
        # the sources launching at $Latest, per template, in source order (one pass, not one per template)
        at_latest: dict[tuple, list[dict]] = {}
        for s in self.all_sources:
            if s.get("source_kind") == "launch_template" and str(s.get("version_requested")) == "$Latest" \
                    and s.get("version_resolved") is not None:
                at_latest.setdefault((s["account_id"], s["region"], s.get("launch_template_id")), []).append(s)
        for acct, region, lt_id in sorted(templates):
            latest = at_latest.get((acct, region, lt_id), [])
            if not latest:
                continue
            src = latest[0]
            version = int(src["version_resolved"])
            key = ("create_version", acct, region, lt_id, version)
            if key not in self.actions:
                action = self.new_version(acct, region, src, 0, None, purpose="keep_latest")
                action.facts["metadata"] = None
                action.groups.extend(sorted({s["asg_name"] for s in latest}))
            self.actions[key].facts["latest"] = True


def _metadata(hop: int, src: dict) -> dict:
    """The MetadataOptions of the new version: IMDSv2 only, endpoint on, the chosen hop limit.

    Options the snapshot knows beyond these (instance metadata tags, IPv6 endpoint) are carried over:
    the new MetadataOptions replaces the source version's whole structure."""
    options = {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": int(hop)}
    for column, key in (("instance_metadata_tags", "InstanceMetadataTags"),
                        ("http_protocol_ipv6", "HttpProtocolIpv6")):
        if src.get(column) in ("enabled", "disabled"):
            options[key] = src[column]
    return options


def _sort_key(action: Action, position: int) -> tuple:
    f = action.facts
    within = (0,)
    if action.kind == "create_version":
        # per template: the version made from the $Latest version comes last
        within = (f["lt_id"], 1 if f.get("latest") else 0, f["source_version"])
    return (action.account_id, action.region, ORDER.index(action.kind), within, position)


def build_plan(groups, sources, launch_configurations=None, launch_templates=None) -> Plan:
    """The actions that make every non-compliant group IMDSv2-only, and per group which of them it needs.

    Each group is fixed the way its owner (``managed_by``, see analyze.owner) allows: directly, through
    its EKS node group, its Elastic Beanstalk environment, or as a change to its CloudFormation stack."""
    group_rows, source_rows = _records(groups), _records(sources)
    builder = _Builder(source_rows, lc_index(_records(launch_configurations)))
    defaults = {(t["account_id"], t["region"], t["launch_template_id"]): _int(t.get("default_version"))
                for t in _records(launch_templates)}
    by_group: dict[tuple, list[dict]] = {}
    for src in source_rows:
        by_group.setdefault((src["account_id"], src["region"], src["asg_name"]), []).append(src)

    fixes = []
    for g in sorted(group_rows, key=lambda r: (r["account_id"], r["region"], r["asg_name"])):
        if not _served(g):
            continue       # only groups that allow IMDSv1 (or cannot launch) get a fix; unknown ones are named
        mine = by_group.get((g["account_id"], g["region"], g["asg_name"]), [])
        part = OWNER_FIXES.get(g.get("managed_by") or "", _direct)(builder, g, mine, defaults)
        fix = GroupFix(group=g, sources=mine, actions=_unique(part.actions), readiness=readiness_warning(g),
                       unfixable=part.unfixable, hop_changes=[],
                       notes=_claims(g) + part.notes + _launch_notes(g, part))
        fix.hop_changes = part.wanted  # resolved below, once every group has had its say on shared versions
        fixes.append(fix)

    builder.keep_latest()
    for fix in fixes:
        fix.hop_changes = _hop_changes(fix.group, fix.hop_changes)
    ordered = [a for _, a in sorted(
        ((_sort_key(a, i), a) for i, a in enumerate(builder.actions.values())), key=lambda t: t[0])]
    _renumber(ordered)
    rank = {id(a): i for i, a in enumerate(ordered)}
    # the versions created for each group name, in run order (indexed once: not a scan per fix)
    versions_for: dict[tuple, list[Action]] = {}
    for a in ordered:
        if a.kind == "create_version":
            for name in dict.fromkeys(a.groups):
                versions_for.setdefault((a.account_id, a.region, name), []).append(a)
    for fix in fixes:
        fix.actions.sort(key=lambda a: rank[id(a)])
        # a group launching at $Latest also needs the copy that keeps $Latest where it was
        g = fix.group
        present = {id(a) for a in fix.actions}
        for a in versions_for.get((g["account_id"], g["region"], g["asg_name"]), ()):
            if id(a) not in present:
                present.add(id(a))
                fix.actions.append(a)
        fix.actions.sort(key=lambda a: rank[id(a)])
    scopes = sorted({(g["account_id"], g["region"]) for g in group_rows})
    return Plan(actions=ordered, fixes=fixes, scopes=scopes)


@dataclass
class _Part:
    actions: list = field(default_factory=list)
    unfixable: list = field(default_factory=list)
    wanted: list = field(default_factory=list)    # (source, hop it wants, the version action serving it)
    notes: list = field(default_factory=list)
    handled: set = field(default_factory=set)     # launch failure codes the fix itself answers


def _served(group: dict) -> bool:
    return group.get("status") == "non_compliant" or group.get("launch_failure_code") in LAUNCH_FAILURES


def _direct(builder: _Builder, g: dict, mine: list[dict], defaults: dict) -> _Part:
    """A group managed directly (or an ECS capacity provider): new versions, the group pointed at them,
    then an instance refresh."""
    acct, region, name = g["account_id"], g["region"], g["asg_name"]
    part = _Part()
    for src in mine:
        if src.get("status") == "compliant":
            continue       # a source already IMDSv2-only (or with the endpoint off) is left alone
        hop = hop_limit_for(g, src)
        if src.get("reason_code") == "version_missing" and src.get("launch_template_id") \
                and defaults.get((acct, region, src["launch_template_id"])):
            # EC2: the pinned version does not exist, so the group cannot launch. Point it at a new,
            # IMDSv2-only version made from the template's default version.
            default = defaults[(acct, region, src["launch_template_id"])]
            made = dict(src, version_resolved=default)
            version = builder.new_version(acct, region, made, hop, name)
            part.wanted.append((made, hop, version))
            point = builder.update_group if src.get("position") in (None, "single") else builder.update_mixed
            part.actions += [version, point(acct, region, g, src, version)]
            part.notes.append(Note("version_missing", {"lt_name": src.get("launch_template_name") or
                                                       src["launch_template_id"], "lt_id": src["launch_template_id"],
                                                       "version": str(src.get("version_requested")),
                                                       "default": default}))
            part.handled.add("version_missing")
            continue
        if src.get("status") != "non_compliant":
            part.unfixable.append(src)
            continue
        if src.get("source_kind") == "launch_configuration":
            read, create = builder.migrate_lc(acct, region, g, src, hop)
            part.wanted.append((src, hop, create))
            part.actions += [read, create, builder.switch_group(acct, region, g, src, create)]
            continue
        if src.get("version_resolved") is None or not src.get("launch_template_id"):
            part.unfixable.append(src)
            continue
        version = builder.new_version(acct, region, src, hop, name)
        part.wanted.append((src, hop, version))
        part.actions.append(version)
        requested = str(src.get("version_requested") or "$Default")
        # How the group names its version decides what makes it use the new one.
        if requested == "$Default":
            part.actions.append(builder.set_default(acct, region, src, version, name))
        elif requested == "$Latest":
            pass   # $Latest launches the newest version: creating it is enough
        elif src.get("position") in (None, "single"):
            part.actions.append(builder.update_group(acct, region, g, src, version))
        else:
            part.actions.append(builder.update_mixed(acct, region, g, src, version))
    if part.actions and (_instances(g) or 0) > 0:
        # Running instances keep their old settings until replaced; with none, nothing to replace.
        part.actions.append(builder.refresh(acct, region, g))
        if g.get("managed_by") == owner.ECS:  # analyze.owner: an ECS capacity provider
            # ECS (managed termination protection) protects instances running tasks from scale-in;
            # an instance refresh waits for that protection to go (an hour, then it fails).
            part.notes.append(Note("ecs", {}))
    return part


def _eks(builder: _Builder, g: dict, mine: list[dict], defaults: dict) -> _Part:
    """An EKS managed node group: a new version of the launch template the node group was given, and
    the node group moved to it (EKS replaces the nodes). Never the Auto Scaling group itself."""
    acct, region, name = g["account_id"], g["region"], g["asg_name"]
    cluster, nodegroup = g.get("owner_name"), g.get("owner_resource")
    facts = {"cluster": cluster or "?", "nodegroup": nodegroup or "?"}
    part = _Part()
    bad = [s for s in mine if s.get("status") == "non_compliant"]
    if not bad:
        part.notes.append(Note("eks_unknown", facts))
        return part
    if not (cluster and nodegroup) or g.get("nodegroup_outcome") != "read":
        part.notes.append(Note("eks_not_read", facts))
        return part
    lt_id, version = g.get("nodegroup_template_id"), str(g.get("nodegroup_template_version") or "")
    hop = max(hop_limit_for(g, s) for s in bad)
    if not lt_id:
        # EKS: a node group created without a launch template cannot be moved to one.
        part.notes.append(Note("eks_no_template", {**facts, "hop": hop}))
        return part
    if not version.isdigit():
        part.notes.append(Note("eks_version_unknown", {**facts, "lt_id": lt_id, "version": version or "?"}))
        return part
    # EKS copies the node group's template into its own: the copy's options are the template's.
    made = dict(bad[0], launch_template_id=lt_id,
                launch_template_name=g.get("nodegroup_template_name") or lt_id, version_resolved=int(version))
    created = builder.new_version(acct, region, made, hop, name)
    part.wanted.append((made, hop, created))
    part.actions += [created, builder.update_nodegroup(acct, region, g, created)]
    part.notes.append(Note("eks", {**facts, "lt_name": made["launch_template_name"], "lt_id": lt_id}))
    part.handled.update(LAUNCH_FAILURES)
    return part


def _beanstalk(builder: _Builder, g: dict, mine: list[dict], defaults: dict) -> _Part:
    """An Elastic Beanstalk environment: its DisableIMDSv1 option (Beanstalk rebuilds the group)."""
    part = _Part()
    if not (g.get("owner_name") and g.get("owner_id")):
        part.notes.append(Note("beanstalk_unnamed", {}))
        return part
    part.actions.append(builder.update_environment(g["account_id"], g["region"], g))
    part.notes.append(Note("beanstalk", {"environment": g["owner_name"]}))
    part.handled.update(LAUNCH_FAILURES)
    return part


def _cloudformation(builder: _Builder, g: dict, mine: list[dict], defaults: dict) -> _Part:
    """A group a stack owns (or whose template a stack made): the change to the stack's template, for a
    person to make; nothing is run directly."""
    part = _Part()
    for src in mine:
        if src.get("status") == "non_compliant":
            part.actions.append(builder.stack_change(g["account_id"], g["region"], g, src, hop_limit_for(g, src)))
        elif src.get("status") != "compliant":
            part.unfixable.append(src)
    part.notes.append(Note("cloudformation", {"stack": g.get("owner_name") or "?",
                                              "instances": _instances(g) or 0}))
    return part


OWNER_FIXES = {owner.EKS: _eks, owner.BEANSTALK: _beanstalk, owner.CLOUDFORMATION: _cloudformation}


def _claims(g: dict) -> list[Note]:
    """Owner tags the analysis did not take for an owner (analyze.owner): EKS's, naming a node group that
    does not own the group; Beanstalk's, on a group not in its environment's stack. The fix ignores
    them; the reader is told why."""
    notes = []
    claim = owner.unconfirmed_nodegroup(g)
    if claim:
        notes.append(Note("eks_unconfirmed", {"cluster": claim[0], "nodegroup": claim[1]}))
    environment = owner.unconfirmed_environment(g.get("tags"))
    if environment:
        notes.append(Note("beanstalk_unconfirmed", {"environment": environment}))
    return notes


def _launch_notes(g: dict, part: _Part) -> list[Note]:
    """What to do about a group that cannot launch, when the fix itself does not answer it."""
    code = g.get("launch_failure_code")
    if code in LAUNCH_FAILURES and code not in part.handled:
        return [Note(f"launch_{code}", {})]
    return []


def _hop_changes(group: dict, wanted: list) -> list[HopChange]:
    """Where a fixed source's hop limit changes, and where a version shared with other groups keeps a
    larger one than this group needs (one version serves them all: the larger limit breaks none)."""
    out = []
    for src, hop, action in wanted:
        after = int(action.facts["hop"])
        before = source_hop(group, src)
        others = [n for n in action.groups if n != group["asg_name"]] if after != hop else []
        if before != after or others:
            out.append(HopChange(source=src, before=before, after=after, wanted=hop, shared_with=others))
    return out


def _renumber(ordered: list) -> None:
    """Name the apply-time variables in run order (NEW_VERSION_1 is the first version created)."""
    counts: dict[str, int] = {}
    renamed: dict[str, Var] = {}
    for a in ordered:
        if a.var is not None:
            prefix = a.var.name.rsplit("_", 1)[0]
            counts[prefix] = counts.get(prefix, 0) + 1
            renamed[a.var.name] = Var(f"{prefix}_{counts[prefix]}")

    def swap(value):
        if isinstance(value, Var):
            return renamed.get(value.name, value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value
    for a in ordered:
        a.var = swap(a.var)
        a.facts = swap(a.facts)


def _unique(actions: list) -> list:
    seen, out = set(), []
    for a in actions:
        if id(a) not in seen:
            seen.add(id(a))
            out.append(a)
    return out
