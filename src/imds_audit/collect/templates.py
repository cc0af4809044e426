"""Launch templates: those groups name (by id or by name), and every version a group can launch from.

A name is resolved to its template's id per account and region, so a template named by id in one group
and by name in another is one template, read once. A template or version AWS says does not exist is
recorded in ``missing_launch_templates`` (the group cannot launch from it): that is an answer, not a
failed read. Only the fields the verdict and the remediation need are kept; never user data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from imds_audit.collect import metadata
from imds_audit.collect.autoscaling import OWNER_TAG_KEYS, allowed_tags
from imds_audit.collect.calls import Caller
from imds_audit.collect.lookup import Lookup, describe

# The error codes with which EC2 says a launch template does not exist (or cannot, being malformed).
TEMPLATE_MISSING = ("InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException",
                    "InvalidLaunchTemplateId.Malformed", "InvalidLaunchTemplateName.MalformedException")
# ... and that one version of an existing template does not.
VERSION_MISSING = ("InvalidLaunchTemplateId.VersionNotFound",)
PER_CALL = 200  # DescribeLaunchTemplates: at most 200 ids or names a call
ACCOUNT_WIDE_THRESHOLD = 4  # below this many templates, per-template calls are as cheap


@dataclass
class Templates:
    tables: dict[str, list[dict]] = field(default_factory=dict)
    ids_by_name: dict[str, str] = field(default_factory=dict)


def with_ids(sources: list[dict], ids_by_name: dict[str, str]) -> list[dict]:
    """Launch sources with the template id filled in where only the name was given (the name is kept)."""
    return [dict(s, launch_template_id=ids_by_name[s["launch_template_name"]])
            if s.get("source_kind") == "launch_template" and not s.get("launch_template_id")
            and s.get("launch_template_name") in ids_by_name else s
            for s in sources]


def collect_templates(caller: Caller, client, sources: list[dict]) -> Templates:
    by_id: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for s in sources:
        if s.get("source_kind") != "launch_template":
            continue
        # An omitted Version in a group's launch template specification means the default version.
        version = s.get("version_requested") or "$Default"
        if s.get("launch_template_id"):
            by_id[s["launch_template_id"]].add(version)
        elif s.get("launch_template_name"):
            by_name[s["launch_template_name"]].add(version)
    missing: list[dict] = []
    found = _lookup(caller, client, "LaunchTemplateIds", "LaunchTemplateId", sorted(by_id), missing)
    named = {t["LaunchTemplateName"] for t in found.values()}
    for t in _lookup(caller, client, "LaunchTemplateNames", "LaunchTemplateName",
                     sorted(n for n in by_name if n not in named), missing).values():
        found[t["LaunchTemplateId"]] = t
    ids_by_name = {t["LaunchTemplateName"]: tid for tid, t in found.items()}
    wanted: dict[str, set[str]] = defaultdict(set, {k: set(v) for k, v in by_id.items()})
    for name, versions in by_name.items():
        if name in ids_by_name:
            wanted[ids_by_name[name]] |= versions
    a, r = caller.account, caller.region
    template_rows = [{
        "account_id": a, "region": r, "launch_template_id": tid, "launch_template_name": t.get("LaunchTemplateName"),
        "default_version": t.get("DefaultVersionNumber"), "latest_version": t.get("LatestVersionNumber"),
        "tags": allowed_tags(t.get("Tags", []), OWNER_TAG_KEYS),   # who owns it (CloudFormation, EKS)
    } for tid, t in sorted(found.items())]
    versions = _versions(caller, client, wanted, found, missing)
    return Templates({"launch_templates": template_rows, "launch_template_versions": versions,
                      "missing_launch_templates": missing}, ids_by_name)


def _lookup(caller: Caller, client, param: str, key: str, wanted: list[str], missing: list[dict]) -> dict:
    """DescribeLaunchTemplates for ids (or names); returns {id: template} and adds what is missing."""
    def ask(chunk):
        got = caller.pages(client, "DescribeLaunchTemplates", "LaunchTemplates", absent=TEMPLATE_MISSING,
                           **{param: chunk})
        return got if not isinstance(got, list) else [(t[key], t) for t in got]

    result = describe(caller, "DescribeLaunchTemplates", wanted, PER_CALL, "launch templates", ask)
    for name, code in sorted(result.missing.items()):
        missing.append(_missing_row(caller, **{_column(key): name}, error_code=code))
    _incomplete(caller, "DescribeLaunchTemplates", result, "launch templates")
    return {t["LaunchTemplateId"]: t for t in result.found.values()}


def _versions(caller: Caller, client, wanted: dict[str, set[str]], templates: dict[str, dict],
              missing: list[dict]) -> list[dict]:
    """Every version groups name. $Default and $Latest come from account-wide walks where that is
    cheaper (see _versions_account_wide); the rest per template, with exactly the version strings
    groups name."""
    versions = _versions_account_wide(caller, client, wanted, set(templates))
    covered = _covered(wanted, versions)
    for tid in sorted(wanted):
        if tid not in templates or tid in covered:
            continue
        template = templates[tid]
        asked = sorted(wanted[tid])

        def ask(chunk, tid=tid, template=template):
            got = caller.pages(client, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions",
                               absent=TEMPLATE_MISSING + VERSION_MISSING, LaunchTemplateId=tid, Versions=chunk)
            return got if not isinstance(got, list) else [(s, v) for v in got for s in chunk
                                                          if _is_version(v, s, template)]

        result = describe(caller, "DescribeLaunchTemplateVersions", asked, len(asked),
                          f"versions of {tid}", ask, whole=TEMPLATE_MISSING)
        versions += result.found.values()
        gone = sorted({code for code in result.missing.values() if code in TEMPLATE_MISSING})
        if gone:
            # Deleted since it was listed: the template is missing whole, no version of it exists.
            missing.append(_missing_row(caller, launch_template_id=tid,
                                        launch_template_name=template.get("LaunchTemplateName"),
                                        error_code=gone[0]))
        for version, code in sorted(result.missing.items()):
            if code not in TEMPLATE_MISSING:
                missing.append(_missing_row(caller, launch_template_id=tid,
                                            launch_template_name=template.get("LaunchTemplateName"),
                                            version=version, error_code=code))
        _incomplete(caller, "DescribeLaunchTemplateVersions", result, "launch template versions")
    rows, seen = [], set()
    for v in versions:
        ident = (v["LaunchTemplateId"], v["VersionNumber"])
        if ident in seen or v["LaunchTemplateId"] not in wanted:
            continue
        seen.add(ident)
        rows.append(_version_row(caller, v))
    return rows


def _version_row(caller: Caller, v: dict) -> dict:
    data = v.get("LaunchTemplateData") or {}  # holds UserData too: only the fields below are kept
    profile = data.get("IamInstanceProfile") or {}
    return {
        "account_id": caller.account, "region": caller.region, "launch_template_id": v["LaunchTemplateId"],
        "launch_template_name": v.get("LaunchTemplateName"), "version_number": v["VersionNumber"],
        **metadata.columns(data.get("MetadataOptions"), metadata.TEMPLATE_FIELDS),
        "image_id": data.get("ImageId"), "instance_type": data.get("InstanceType"),
        "iam_instance_profile_arn": profile.get("Arn"), "iam_instance_profile_name": profile.get("Name"),
    }


def _is_version(v: dict, asked: str, template: dict) -> bool:
    """Is version ``v`` the one a group names as ``asked`` ($Default, $Latest or a number)?"""
    if asked == "$Default":
        return bool(v.get("DefaultVersion")) or v["VersionNumber"] == template.get("DefaultVersionNumber")
    if asked == "$Latest":
        return v["VersionNumber"] == template.get("LatestVersionNumber")
    return asked.strip().isdigit() and v["VersionNumber"] == int(asked)


def _versions_account_wide(caller: Caller, client, wanted: dict[str, set[str]], known: set[str]) -> list[dict]:
    """The $Default and $Latest versions of every template in one paginated walk each.

    DescribeLaunchTemplateVersions without a template id returns the default (or latest) version of
    every template, 200 a page: far fewer calls than one per template. Only templates whose every
    wanted version is $Default/$Latest are served this way; numbered versions are asked per template.
    """
    symbolic = [t for t in known if wanted.get(t) and wanted[t] <= {"$Default", "$Latest"}]
    if len(symbolic) < ACCOUNT_WIDE_THRESHOLD:
        return []
    out = []
    for version in ("$Default", "$Latest"):
        if any(version in wanted[t] for t in symbolic):
            got = caller.pages(client, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions",
                               Versions=[version], PaginationConfig={"PageSize": 200})
            out += [dict(v, _symbol=version) for v in got or [] if v["LaunchTemplateId"] in wanted]
    return out


def _covered(wanted: dict[str, set[str]], versions: list[dict]) -> set[str]:
    """Templates for which the walk returned every version the groups name."""
    have: dict[str, set[str]] = defaultdict(set)
    for v in versions:
        have[v["LaunchTemplateId"]].add(v["_symbol"])
    return {t for t, symbols in have.items() if wanted[t] <= symbols}


def _column(key: str) -> str:
    return {"LaunchTemplateId": "launch_template_id", "LaunchTemplateName": "launch_template_name"}[key]


def _missing_row(caller: Caller, launch_template_id=None, launch_template_name=None, version=None,
                 error_code=None) -> dict:
    return {"account_id": caller.account, "region": caller.region, "launch_template_id": launch_template_id,
            "launch_template_name": launch_template_name, "version": version, "error_code": error_code}


def _incomplete(caller: Caller, api: str, result: Lookup, what: str) -> None:
    if result.omitted:
        caller.incomplete(api, len(result.omitted), what)
