"""The AWS CLI command of every action, as a list of shell words (rendered by quoting.sh).

Values known only at apply time (a new version number, a new template id) are shell variables captured
from the previous command's output and checked against a pattern before use.
"""

from __future__ import annotations

from imds_audit.remediate.plan import Action, Plan
from imds_audit.remediate.quoting import Var, Word, compact_json, jmespath_literal, json_str

WORKDIR = Var("WORK")                    # a private temporary directory made by the script
VERSION_PATTERN = r"^[0-9]+$"            # what create-launch-template-version must print
TEMPLATE_ID_PATTERN = r"^lt-[0-9a-zA-Z]+$"
DESCRIPTION = "imds-audit: IMDSv2 only (from version {v})"
KEEP_LATEST_DESCRIPTION = "imds-audit: unchanged copy of version {v}, keeps $Latest"


def _aws(region: str, *args) -> list:
    # Always name the region: the profile's default region is not necessarily the group's.
    return ["aws", *args, "--region", region]


def _file(kind: str, index: int) -> Word:
    return Word.of(WORKDIR, f"/{kind}-{index}.json")


def _file_url(kind: str, index: int) -> Word:
    return Word.of("file://", WORKDIR, f"/{kind}-{index}.json")


def _spec_json(id_word_parts: tuple, version_var: Var | str) -> Word:
    """``{"LaunchTemplateId":"…","Version":"…"}`` as one shell word; JSON form so that no character of
    an id can break the CLI's shorthand syntax."""
    version = (version_var,) if isinstance(version_var, Var) else (json_str(version_var)[1:-1],)
    return Word.of('{"LaunchTemplateId":"', *id_word_parts, '","Version":"', *version, '"}')


def create_version(a: Action) -> None:
    f = a.facts
    data = {"MetadataOptions": f["metadata"]} if f.get("metadata") else {}
    desc = (DESCRIPTION if f.get("metadata") else KEEP_LATEST_DESCRIPTION).format(v=f["source_version"])
    a.argv = _aws(a.region, "ec2", "create-launch-template-version",
                  "--launch-template-id", f["lt_id"], "--source-version", str(f["source_version"]),
                  "--version-description", desc, "--launch-template-data", compact_json(data),
                  "--query", "LaunchTemplateVersion.VersionNumber", "--output", "text")
    a.capture, a.pattern = a.var, VERSION_PATTERN


def set_default(a: Action) -> None:
    f = a.facts
    a.argv = _aws(a.region, "ec2", "modify-launch-template", "--launch-template-id", f["lt_id"],
                  "--default-version", f["version_var"],
                  "--query", "LaunchTemplate.DefaultVersionNumber", "--output", "text")


def update_group(a: Action) -> None:
    f = a.facts
    a.argv = _aws(a.region, "autoscaling", "update-auto-scaling-group",
                  "--auto-scaling-group-name", f["asg_name"],
                  "--launch-template", _spec_json((json_str(f["lt_id"])[1:-1],), f["version_var"]))


def _jp_version(rewrites: list) -> Word:
    """The JMESPath that keeps a launch template specification as it is, except that the versions this
    fix replaced now name the new version. Matching is by template id or name and by the old version."""
    parts: list = ["merge(LaunchTemplateSpecification.LaunchTemplateId && "
                   "{LaunchTemplateId: LaunchTemplateSpecification.LaunchTemplateId} || "
                   "{LaunchTemplateName: LaunchTemplateSpecification.LaunchTemplateName}, "
                   "LaunchTemplateSpecification.Version && {Version: "]
    for r in rewrites:
        match = f"(LaunchTemplateSpecification.LaunchTemplateId == {jmespath_literal(r['lt_id'])}"
        if r.get("lt_name"):
            match += f" || LaunchTemplateSpecification.LaunchTemplateName == {jmespath_literal(r['lt_name'])}"
        match += f") && LaunchTemplateSpecification.Version == {jmespath_literal(r['old_version'])}"
        # the new version number is captured digits only (VERSION_PATTERN): safe inside a JSON literal
        parts += [f"({match}) && `\"", r["version_var"], "\"` || "]
    parts += ["LaunchTemplateSpecification.Version} || `{}`)"]
    return parts


def update_mixed_read(a: Action) -> list:
    version = _jp_version(a.facts["rewrites"])
    query = Word.of(
        "AutoScalingGroups[0].MixedInstancesPolicy.LaunchTemplate | "
        "{LaunchTemplate: merge({LaunchTemplateSpecification: ", *version, "}, "
        "Overrides && {Overrides: Overrides[].merge(@, LaunchTemplateSpecification && "
        "{LaunchTemplateSpecification: ", *version, "} || `{}`)} || `{}`)}")
    return _aws(a.region, "autoscaling", "describe-auto-scaling-groups",
                "--auto-scaling-group-names", a.facts["asg_name"], "--query", query, "--output", "json")


def update_mixed(a: Action) -> None:
    i = a.facts["file_index"]
    a.facts["read_argv"] = update_mixed_read(a)
    a.facts["read_file"] = _file("mixed-policy", i)
    a.argv = _aws(a.region, "autoscaling", "update-auto-scaling-group",
                  "--auto-scaling-group-name", a.facts["asg_name"],
                  "--mixed-instances-policy", _file_url("mixed-policy", i))


# A launch configuration's settings, read at apply time and reshaped into launch template data in one
# JMESPath expression (no jq needed). Security groups, key pair, user data and block devices are not in
# the audit snapshot (user data is never collected): reading them here, just before the copy, carries
# over exactly what the configuration has, and user data stays in a private temp file, never printed.
LC_TO_TEMPLATE = (
    "LaunchConfigurations[0] | merge({ImageId: ImageId, InstanceType: InstanceType}, "
    "KeyName && {KeyName: KeyName} || `{}`, "
    "UserData && {UserData: UserData} || `{}`, "
    "IamInstanceProfile && (starts_with(IamInstanceProfile, `\"arn:\"`) && "
    "{IamInstanceProfile: {Arn: IamInstanceProfile}} || {IamInstanceProfile: {Name: IamInstanceProfile}}) || `{}`, "
    "AssociatePublicIpAddress != null && {NetworkInterfaces: [{DeviceIndex: `0`, "
    "AssociatePublicIpAddress: AssociatePublicIpAddress, Groups: SecurityGroups}]} || "
    "(SecurityGroups[0] && {SecurityGroupIds: SecurityGroups} || `{}`), "
    "InstanceMonitoring && {Monitoring: {Enabled: InstanceMonitoring.Enabled}} || `{}`, "
    "EbsOptimized && {EbsOptimized: EbsOptimized} || `{}`, "
    "BlockDeviceMappings[0] && {BlockDeviceMappings: BlockDeviceMappings[].merge({DeviceName: DeviceName}, "
    "VirtualName && {VirtualName: VirtualName} || `{}`, Ebs && {Ebs: Ebs} || `{}`, "
    "NoDevice && {NoDevice: `\"\"`} || `{}`)} || `{}`, "
    "PlacementTenancy && {Placement: {Tenancy: PlacementTenancy}} || `{}`, "
    "KernelId && {KernelId: KernelId} || `{}`, RamdiskId && {RamdiskId: RamdiskId} || `{}`, "
    "SpotPrice && {InstanceMarketOptions: {MarketType: `\"spot\"`, SpotOptions: {MaxPrice: SpotPrice}}} || `{}`, "
    "`{metadata}`)")


def read_lc(a: Action) -> None:
    f = a.facts
    metadata = compact_json({"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled",
                                                 "HttpPutResponseHopLimit": int(f["hop"])}})
    query = LC_TO_TEMPLATE.replace("{metadata}", metadata.replace("`", "\\`"))
    a.argv = _aws(a.region, "autoscaling", "describe-launch-configurations",
                  "--launch-configuration-names", f["lc_name"], "--query", query, "--output", "json")
    a.to_file = _file("launch-configuration", f["file_index"])


def create_template(a: Action) -> None:
    f = a.facts
    a.argv = _aws(a.region, "ec2", "create-launch-template", "--launch-template-name", f["new_name"],
                  "--version-description", "imds-audit: copied from a launch configuration, IMDSv2 only",
                  "--launch-template-data", _file_url("launch-configuration", f["file_index"]),
                  "--query", "LaunchTemplate.LaunchTemplateId", "--output", "text")
    a.capture, a.pattern = a.var, TEMPLATE_ID_PATTERN


def switch_group(a: Action) -> None:
    f = a.facts
    a.argv = _aws(a.region, "autoscaling", "update-auto-scaling-group",
                  "--auto-scaling-group-name", f["asg_name"],
                  "--launch-template", _spec_json((f["template_var"],), "$Default"))


def refresh(a: Action) -> None:
    a.argv = _aws(a.region, "autoscaling", "start-instance-refresh",
                  "--auto-scaling-group-name", a.facts["asg_name"], "--strategy", "Rolling")


def update_nodegroup(a: Action) -> None:
    """EKS moves the node group to the new version and replaces its nodes (rolling, draining pods)."""
    f = a.facts
    spec = Word.of('{"id":"', json_str(f["lt_id"])[1:-1], '","version":"', f["version_var"], '"}')
    a.argv = _aws(a.region, "eks", "update-nodegroup-version", "--cluster-name", f["cluster"],
                  "--nodegroup-name", f["nodegroup"], "--launch-template", spec,
                  "--query", "update.id", "--output", "text")


# Beanstalk's option for IMDSv2 only: it moves the environment to a launch template if needed and
# replaces the instances following the environment's update policy.
DISABLE_IMDSV1 = "Namespace=aws:autoscaling:launchconfiguration,OptionName=DisableIMDSv1,Value=true"


def update_environment(a: Action) -> None:
    """By the environment's id, which the group's stack confirms (analyze.owner); its name is a tag
    anyone allowed to tag the group can write."""
    a.argv = _aws(a.region, "elasticbeanstalk", "update-environment", "--environment-id",
                  a.facts["environment_id"], "--option-settings", DISABLE_IMDSV1,
                  "--query", "EnvironmentId", "--output", "text")


def stack_change(a: Action) -> None:
    """Nothing to run: a stack's template is changed by a person (cloudformation.yaml)."""
    a.argv = []


BUILDERS = {"create_version": create_version, "set_default": set_default, "update_group": update_group,
            "update_mixed": update_mixed, "read_lc": read_lc, "create_template": create_template,
            "switch_group": switch_group, "refresh": refresh, "update_nodegroup": update_nodegroup,
            "update_environment": update_environment, "stack_change": stack_change}


def attach_commands(plan: Plan) -> Plan:
    for action in plan.actions:
        BUILDERS[action.kind](action)
    return plan


def uses_workdir(actions) -> bool:
    return any(a.kind in ("read_lc", "update_mixed") for a in actions)
