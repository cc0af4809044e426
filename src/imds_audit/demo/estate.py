"""A realistic simulated estate, built with boto3 calls into moto, with its known truth.

Every case of DESIGN.md §4 appears at least once. ``GROUPS`` is the truth the tests hold the verdict
to: the status each group must get. The estate is deterministic (moto's random ids are seeded).
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import boto3

ACCOUNT = "123456789012"  # moto's default account: the organization's management account
REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")
MEMBER_ROLE = "OrganizationAccountAccessRole"
# label → (account name in the organization, regions it uses)
ACCOUNTS = {"core": ("prod-core", REGIONS), "payments": ("payments-prod", ("us-east-1", "eu-west-1")),
            "sandbox": ("sandbox", ("us-east-1", "ap-northeast-1"))}
# Regions an SCP denies to the auditor entirely, per account: every call there fails (not assessed).
DENIED_REGIONS = {"sandbox": ("ap-northeast-1",)}

# Account-level IMDS defaults per region, as GetInstanceMetadataDefaults would answer them.
# moto 5.2.5 does not implement that API: the demo answers it from this table (see simulator.py).
# None means the auditor is denied the call there, so groups relying on the default are unknown.
ACCOUNT_DEFAULTS = {
    "core": {
        "us-east-1": {},  # nothing set at the account level
        "eu-west-1": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2,
                      "HttpTokensEnforced": "enabled", "ManagedBy": "account"},
        "ap-northeast-1": None,
    },
    "payments": {
        "us-east-1": {"HttpTokens": "required", "HttpTokensEnforced": "enabled",
                      "ManagedBy": "declarative-policy",
                      "ManagedExceptionMessage": "Managed by the payments OU declarative policy"},
        "eu-west-1": {},
    },
    "sandbox": {"us-east-1": {}, "ap-northeast-1": {}},
}

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
EKS_WORKER = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"

# role name → (managed policy ARNs, inline policies {name: document})
ROLES = {
    "platform-admin": ([ADMIN], {}),
    "web-frontend": ([SSM_CORE], {"read-assets": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": ["arn:aws:s3:::acme-web-assets", "arn:aws:s3:::acme-web-assets/*"]}]}}),
    "batch-worker": ([], {"jobs": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}}),
    "ci-runner": ([], {"deploy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}}),
    "eks-node": ([EKS_WORKER], {}),
    "reporting": ([READ_ONLY], {}),
}


@dataclass
class Group:
    name: str
    region: str
    expect: str                       # compliant | non_compliant | unknown: the known truth
    why: str                          # the case it covers
    account: str = "core"             # which account of ACCOUNTS holds it
    template: str | None = None       # launch template name
    version: str | None = "$Default"  # as the group names it
    lc: str | None = None             # launch configuration name
    overrides: list[str] = field(default_factory=list)  # mixed instances: override template names
    capacity: int = 0
    role: str | None = None
    imdsv1_calls: list[int] = field(default_factory=list)  # per instance, MetadataNoToken sum
    tags: dict = field(default_factory=dict)
    # The options its running instances got at launch, as AWS would have resolved them. moto does not
    # apply a template's MetadataOptions to instances an Auto Scaling group launches, so the estate
    # sets them. None: derived from ``expect`` (required when compliant, optional otherwise).
    launched: dict | None = None


EKS_COPY = "eks-6ec9b1a2-5f3e-4c1d-9a7b-0d2e4f6a8b1c"
EKS_GENERATED = "eks-3f0a7c52-8d14-4b6e-a9c1-2e5d7f9b3a60"
BEANSTALK_LC = "awseb-e-abcd1234-stack-AWSEBAutoScalingLaunchConfiguration-7TR2"
EKS_OPTIONS = {"HttpTokens": "optional", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2}

# name → (region, versions: list of MetadataOptions dicts (None = no MetadataOptions), default version,
#         role of the instance profile, image name hint)
TEMPLATES = {
    "web-lt": ("us-east-1", [{"HttpTokens": "required", "HttpEndpoint": "enabled"},
                             {"HttpTokens": "optional", "HttpEndpoint": "enabled"}], 1, "web-frontend"),
    "api-lt": ("us-east-1", [{"HttpTokens": "optional"}, {"HttpTokens": "optional"},
                             {"HttpTokens": "required", "HttpEndpoint": "enabled"}], 3, "web-frontend"),
    "batch-lt": ("us-east-1", [None], 1, "batch-worker"),
    "tokens-only-lt": ("us-east-1", [{"HttpTokens": "required"}], 1, "reporting"),
    "optional-omitted-endpoint-lt": ("us-east-1", [{"HttpTokens": "optional"}], 1, "batch-worker"),
    "no-imds-lt": ("us-east-1", [{"HttpEndpoint": "disabled", "HttpTokens": "optional"}], 1, "batch-worker"),
    "mixed-base-lt": ("us-east-1", [{"HttpTokens": "required", "HttpEndpoint": "enabled"}], 1, "web-frontend"),
    "mixed-gpu-lt": ("us-east-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled"}], 1, "web-frontend"),
    "mixed-arm-lt": ("us-east-1", [{"HttpTokens": "required"}], 1, "web-frontend"),
    "eks-nodes-lt": ("us-east-1", [{"HttpTokens": "required", "HttpPutResponseHopLimit": 2}], 1, "eks-node"),
    "hop3-lt": ("us-east-1", [{"HttpTokens": "required", "HttpPutResponseHopLimit": 3}], 1, "reporting"),
    "drift-lt": ("us-east-1", [{"HttpTokens": "optional"}], 1, "web-frontend"),  # v2 added after launch
    "legacy-app-lt": ("us-east-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled"}], 1, "ci-runner"),
    "admin-tools-lt": ("us-east-1", [None], 1, "platform-admin"),
    "eu-default-lt": ("eu-west-1", [None], 1, "web-frontend"),
    "eu-optional-lt": ("eu-west-1", [{"HttpTokens": "optional"}], 1, "batch-worker"),
    "eu-latest-lt": ("eu-west-1", [None, {"HttpTokens": "optional"}], 1, "reporting"),
    "ap-declared-lt": ("ap-northeast-1", [{"HttpTokens": "required", "HttpEndpoint": "enabled"}], 1,
                       "web-frontend"),
    "ap-undeclared-lt": ("ap-northeast-1", [None], 1, "web-frontend"),
    "ap-optional-lt": ("ap-northeast-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled"}], 1,
                       "platform-admin"),
    "edge-tags-lt": ("us-east-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled",
                                    "InstanceMetadataTags": "enabled", "HttpProtocolIpv6": "enabled"}], 1,
                     "web-frontend"),
    "ecs-lt": ("us-east-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2}],
               1, "batch-worker"),
    "orders-lt": ("us-east-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled"}], 1, "web-frontend"),
    # EKS managed node groups: the template the orders node group was given, EKS's copy of it behind the
    # node group's Auto Scaling group, and the template EKS generated for a node group given none.
    "eks-orders-ng-lt": ("us-east-1", [EKS_OPTIONS], 1, "eks-node"),
    EKS_COPY: ("us-east-1", [EKS_OPTIONS], 1, "eks-node"),
    EKS_GENERATED: ("us-east-1", [EKS_OPTIONS], 1, "eks-node"),
}
# Tags a template carries (the owner's: CloudFormation and EKS tag what they create).
TEMPLATE_TAGS = {
    "orders-lt": {"aws:cloudformation:stack-name": "orders-stack",
                  "aws:cloudformation:logical-id": "OrdersLaunchTemplate"},
    EKS_COPY: {"eks:cluster-name": "prod", "eks:nodegroup-name": "orders-ng"},
    EKS_GENERATED: {"eks:cluster-name": "prod", "eks:nodegroup-name": "default-ng"},
}
# EKS node groups in the core account (us-east-1, cluster "prod"): name → the template it was given.
EKS_NODEGROUPS = {"orders-ng": "eks-orders-ng-lt", "default-ng": None}
# moto's seed before each node group, and the name it then gives the node group's Auto Scaling group
EKS_SEEDS = {"orders-ng": 61, "default-ng": 62}
EKS_NODEGROUP_GROUPS = {"orders-ng": "eks-377e6ff8-8e83-4961-ae84-3b2c7e96ba87",
                        "default-ng": "eks-10adf348-2c4b-4d89-9344-7cbaed90dafc"}

# Launch configurations: name → (region, MetadataOptions or None, role)
LAUNCH_CONFIGURATIONS = {
    "legacy-optional-lc": ("us-east-1", {"HttpTokens": "optional", "HttpEndpoint": "enabled"}, "batch-worker"),
    "legacy-required-lc": ("us-east-1", {"HttpTokens": "required", "HttpEndpoint": "enabled"}, "reporting"),
    "legacy-bare-lc": ("us-east-1", None, "web-frontend"),
    "legacy-noimds-lc": ("us-east-1", {"HttpEndpoint": "disabled"}, "batch-worker"),
    "eu-bare-lc": ("eu-west-1", None, "reporting"),
    BEANSTALK_LC: ("us-east-1", {"HttpTokens": "optional", "HttpEndpoint": "enabled"}, "web-frontend"),
}

GROUPS = [
    Group("web-prod", "us-east-1", "compliant", "$Default is v1 (required) while $Latest is v2 (optional)",
          template="web-lt", version="$Default", capacity=2, tags={"Environment": "prod", "Owner": "web"}),
    Group("web-canary", "us-east-1", "non_compliant", "$Latest is v2 (optional); $Default would pass",
          template="web-lt", version="$Latest", capacity=1, imdsv1_calls=[0]),
    Group("api-pinned-v1", "us-east-1", "non_compliant", "pinned to old v1 (optional) while v3 is required",
          template="api-lt", version="1", capacity=2, imdsv1_calls=[0, 0]),
    Group("api-pinned-v3", "us-east-1", "compliant", "pinned to v3 (required)", template="api-lt", version="3"),
    Group("batch-nightly", "us-east-1", "non_compliant",
          "template without MetadataOptions, no account default: API default optional",
          template="batch-lt", capacity=1, imdsv1_calls=[0]),
    Group("reports-tokens-only", "us-east-1", "compliant", "HttpTokens required, HttpEndpoint omitted",
          template="tokens-only-lt"),
    Group("queue-omitted-endpoint", "us-east-1", "non_compliant",
          "HttpTokens optional and HttpEndpoint omitted: omitted means enabled",
          template="optional-omitted-endpoint-lt", capacity=1),
    Group("sidecar-no-imds", "us-east-1", "compliant", "endpoint disabled: nothing exposed",
          template="no-imds-lt", capacity=1, launched={"HttpTokens": "optional", "HttpEndpoint": "disabled"}),
    Group("mixed-override-gpu", "us-east-1", "non_compliant",
          "mixed instances: base required, an override's own template optional",
          template="mixed-base-lt", overrides=["mixed-gpu-lt"], capacity=2),
    Group("mixed-all-v2", "us-east-1", "compliant", "mixed instances: base and override both required",
          template="mixed-base-lt", overrides=["mixed-arm-lt"], capacity=1),
    Group("legacy-lc-optional", "us-east-1", "non_compliant", "launch configuration with tokens optional",
          lc="legacy-optional-lc", capacity=1, imdsv1_calls=[37]),
    Group("legacy-lc-required", "us-east-1", "compliant", "launch configuration with tokens required",
          lc="legacy-required-lc", capacity=1),
    Group("legacy-lc-bare", "us-east-1", "non_compliant", "launch configuration without MetadataOptions",
          lc="legacy-bare-lc"),
    Group("legacy-lc-noimds", "us-east-1", "compliant", "launch configuration with the endpoint disabled",
          lc="legacy-noimds-lc"),
    Group("eks-nodes", "us-east-1", "compliant", "EKS nodes: required, hop limit 2 expected",
          template="eks-nodes-lt", capacity=2, launched={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
          tags={"eks:cluster-name": "prod", "kubernetes.io/cluster/prod": "owned"}),
    Group("reports-hop3", "us-east-1", "compliant", "required but hop limit 3 on a non-container host",
          template="hop3-lt", capacity=1, launched={"HttpTokens": "required", "HttpPutResponseHopLimit": 3}),
    Group("drifted-fleet", "us-east-1", "compliant",
          "template fixed after launch: running instances still allow IMDSv1 (refresh owed)",
          template="drift-lt", capacity=2, imdsv1_calls=[0, 0], launched={"HttpTokens": "optional"}),
    Group("legacy-billing", "us-east-1", "non_compliant", "IMDSv1 still called: enforcing now breaks it",
          template="legacy-app-lt", capacity=2, imdsv1_calls=[1840, 12]),
    Group("admin-tools", "us-east-1", "non_compliant", "admin role behind IMDSv1, actively called",
          template="admin-tools-lt", capacity=2, imdsv1_calls=[2210, 160]),
    Group("eu-web", "eu-west-1", "compliant", "no MetadataOptions: the account default (required) applies",
          template="eu-default-lt", capacity=1),
    Group("eu-batch", "eu-west-1", "non_compliant",
          "template optional beats the account default; launches fail under HttpTokensEnforced",
          template="eu-optional-lt"),
    Group("eu-reports-latest", "eu-west-1", "non_compliant", "$Latest (v2) declares optional",
          template="eu-latest-lt", version="$Latest"),
    Group("eu-legacy-lc", "eu-west-1", "compliant", "launch configuration without options: account default",
          lc="eu-bare-lc", capacity=1),
    Group("ap-web", "ap-northeast-1", "compliant", "declares required: the unreadable default does not matter",
          template="ap-declared-lt", capacity=1),
    Group("ap-batch", "ap-northeast-1", "unknown",
          "no MetadataOptions and the account defaults could not be read (denied)",
          template="ap-undeclared-lt", capacity=1),
    Group("ap-admin", "ap-northeast-1", "non_compliant", "declares optional: decided without the default",
          template="ap-optional-lt", capacity=1),
    Group("edge-tags", "us-east-1", "non_compliant",
          "optional, with instance metadata tags and the IPv6 endpoint on: the fix must keep both",
          template="edge-tags-lt", capacity=1),
    Group("api-pinned-v9", "us-east-1", "unknown",
          "pinned to version 9, which does not exist: the group cannot launch", template="api-lt", version="9"),
    Group("ecs-capacity", "us-east-1", "non_compliant",
          "ECS capacity provider: fixed directly, hop limit 2 kept, ECS protects busy instances",
          template="ecs-lt", capacity=1, tags={"AmazonECSManaged": ""},
          launched={"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}),
    Group(EKS_NODEGROUP_GROUPS["orders-ng"], "us-east-1", "non_compliant",
          "EKS managed node group with its own launch template: fixed through EKS, never directly",
          template=EKS_COPY, capacity=2, launched={"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
          tags={"eks:cluster-name": "prod", "eks:nodegroup-name": "orders-ng",
                "kubernetes.io/cluster/prod": "owned"}),
    Group(EKS_NODEGROUP_GROUPS["default-ng"], "us-east-1", "non_compliant",
          "EKS managed node group created without a launch template: needs a new node group",
          template=EKS_GENERATED, capacity=1, launched={"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
          tags={"eks:cluster-name": "prod", "eks:nodegroup-name": "default-ng",
                "kubernetes.io/cluster/prod": "owned"}),
    Group("awseb-e-abcd1234-stack-AWSEBAutoScalingGroup-1QX8", "us-east-1", "non_compliant",
          "Elastic Beanstalk environment: fixed through the environment's DisableIMDSv1 option",
          lc=BEANSTALK_LC, capacity=1,
          tags={"Name": "shop-prod", "elasticbeanstalk:environment-name": "shop-prod",
                "elasticbeanstalk:environment-id": "e-abcd1234",
                "aws:cloudformation:stack-name": "awseb-e-abcd1234-stack",
                "aws:cloudformation:logical-id": "AWSEBAutoScalingGroup"}),
    Group("orders-stack-OrdersGroup-7Q2KX1", "us-east-1", "non_compliant",
          "owned by a CloudFormation stack: fixed by changing the stack, never directly",
          template="orders-lt", capacity=2,
          tags={"aws:cloudformation:stack-name": "orders-stack", "aws:cloudformation:logical-id": "OrdersGroup",
                "aws:cloudformation:stack-id": "arn:aws:cloudformation:us-east-1:123456789012:stack/"
                                               "orders-stack/5b1f3c2e-0d4a-4e8b-9f6c-1a2b3c4d5e6f"}),
]


# The two member accounts, generated from a few patterns so the estate has 40+ groups.
PAYMENTS_ROLES = {"payments-app": ([], {"ledger": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["kms:Decrypt", "ssm:GetParameter"], "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/team": "payments"}}}]}})}
MEMBER_TEMPLATES = {
    "payments": {
        "pay-api-lt": ("us-east-1", [{"HttpTokens": "optional"}, {"HttpTokens": "required"}], 2, "payments-app"),
        "pay-worker-lt": ("eu-west-1", [{"HttpTokens": "optional", "HttpEndpoint": "enabled"},
                                        {"HttpTokens": "required", "HttpEndpoint": "enabled"}], 2, "payments-app"),
        "pay-edge-lt": ("us-east-1", [None], 1, "platform-admin"),
    },
    "sandbox": {
        "sbx-lt": ("us-east-1", [{"HttpTokens": "optional"}], 1, "ci-runner"),
        "sbx-v2-lt": ("us-east-1", [{"HttpTokens": "required"}], 1, "reporting"),
        "sbx-jp-lt": ("ap-northeast-1", [None], 1, "reporting"),
    },
}
MEMBER_LAUNCH_CONFIGURATIONS = {
    "payments": {"pay-ledger-lc": ("eu-west-1", None, "payments-app")},
    "sandbox": {},
}
GROUPS += [
    Group("pay-api-blue", "us-east-1", "compliant", "default v2 required", account="payments",
          template="pay-api-lt", capacity=2),
    Group("pay-api-green", "us-east-1", "non_compliant", "pinned to v1 optional; launches fail (enforced)",
          account="payments", template="pay-api-lt", version="1"),
    Group("pay-edge", "us-east-1", "compliant", "silent template; declarative policy requires tokens",
          account="payments", template="pay-edge-lt", capacity=1),
    Group("pay-ledger", "eu-west-1", "non_compliant", "launch configuration without options, no default",
          account="payments", lc="pay-ledger-lc", capacity=1, imdsv1_calls=[220]),
] + [
    Group(f"pay-worker-{n:02d}", "eu-west-1", "non_compliant" if n % 3 == 0 else "compliant",
          "fleet of workers: every third pinned to v1 (optional)", account="payments",
          template="pay-worker-lt", version="1" if n % 3 == 0 else "$Default", capacity=1 if n < 4 else 0)
    for n in range(8)
] + [
    Group("sbx-exp-<script>alert(1)</script>", "us-east-1", "non_compliant",
          "hostile name: HTML in a group name", account="sandbox", template="sbx-lt"),
    Group("sbx;$(touch /tmp/pwned)`id`'\"", "us-east-1", "non_compliant",
          "hostile name: shell metacharacters", account="sandbox", template="sbx-lt"),
    Group("sbx-${var.x}-{{7*7}}", "us-east-1", "compliant", "hostile name: HCL and template interpolation",
          account="sandbox", template="sbx-v2-lt"),
    Group("検証用グループ", "us-east-1", "non_compliant", "Japanese name", account="sandbox", template="sbx-lt",
          capacity=1),
    Group("sbx-tokyo", "ap-northeast-1", "not_assessed", "the whole region is denied by an SCP",
          account="sandbox", template="sbx-jp-lt"),
]
TEMPLATES_BY_ACCOUNT = {"core": TEMPLATES, **MEMBER_TEMPLATES}
LAUNCH_CONFIGURATIONS_BY_ACCOUNT = {"core": LAUNCH_CONFIGURATIONS, **MEMBER_LAUNCH_CONFIGURATIONS}
# Permissions boundaries (account label, role) → boundary policy name and document: the sandbox caps
# ci-runner to EC2 and S3, so its iam:PassRole (and the escalation it gives) is cut off there.
BOUNDARIES = {("sandbox", "ci-runner"): ("sandbox-boundary", {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]})}
ROLES_BY_ACCOUNT = {"core": ROLES, "payments": {**PAYMENTS_ROLES, "platform-admin": ROLES["platform-admin"]},
                    "sandbox": {k: ROLES[k] for k in ("ci-runner", "reporting")}}


def expected_statuses() -> dict[tuple[str, str], str]:
    """(region, group name) → status, for every group the audit can see (denied regions excluded)."""
    return {(g.region, g.name): g.expect for g in GROUPS if g.expect != "not_assessed"}


APP_IMAGE = "acme-al2023-app-2026.11.2"
EKS_IMAGE = "acme-eks-node-1.31-v20261101"


def _image(session, region: str, name: str) -> str:
    """Register one of the estate's own AMIs (moto's built-in list is not loaded: it is slow)."""
    return session.client("ec2", region).register_image(
        Name=name, RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]


def build_account(session: boto3.session.Session, label: str, now: datetime | None = None) -> None:
    """Create one account's part of the estate in moto through ``session`` (which must point at moto)."""
    regions = ACCOUNTS[label][1]
    iam = session.client("iam")
    profiles = {}
    for role, (managed, inline) in ROLES_BY_ACCOUNT[label].items():
        extra = {}
        if (label, role) in BOUNDARIES:
            name, doc = BOUNDARIES[(label, role)]
            extra["PermissionsBoundary"] = iam.create_policy(
                PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]}), **extra)
        for arn in managed:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        for name, doc in inline.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(doc))
        prof = iam.create_instance_profile(InstanceProfileName=f"{role}-profile")["InstanceProfile"]
        iam.add_role_to_instance_profile(InstanceProfileName=f"{role}-profile", RoleName=role)
        profiles[role] = prof["Arn"]

    images = {r: _image(session, r, APP_IMAGE) for r in regions}
    eks_images = {r: _image(session, r, EKS_IMAGE) for r in regions if label == "core"}
    template_ids = {}
    for name, (region, versions, default, role) in TEMPLATES_BY_ACCOUNT[label].items():
        ec2 = session.client("ec2", region)
        image = eks_images[region] if name.startswith("eks") else images[region]
        template_id = None
        for i, meta in enumerate(versions):
            data = {"ImageId": image, "InstanceType": "t3.micro",
                    "IamInstanceProfile": {"Arn": profiles[role]}}
            if meta is not None:
                data["MetadataOptions"] = meta
            if template_id is None:
                tags = [{"ResourceType": "launch-template", "Tags": [
                    {"Key": k, "Value": v} for k, v in TEMPLATE_TAGS[name].items()]}] if name in TEMPLATE_TAGS else []
                template_id = ec2.create_launch_template(
                    LaunchTemplateName=name, LaunchTemplateData=data,
                    TagSpecifications=tags)["LaunchTemplate"]["LaunchTemplateId"]
            else:
                ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData=data,
                                                   SourceVersion=str(i))
        if default != 1:
            ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(default))
        template_ids[name] = template_id

    for name, (region, meta, role) in LAUNCH_CONFIGURATIONS_BY_ACCOUNT[label].items():
        kwargs = {"LaunchConfigurationName": name, "ImageId": images[region], "InstanceType": "t3.micro",
                  "IamInstanceProfile": profiles[role]}
        if meta is not None:
            kwargs["MetadataOptions"] = meta
        session.client("autoscaling", region).create_launch_configuration(**kwargs)

    if label == "core":
        _eks_nodegroups(session, template_ids)
    mine = [g for g in GROUPS if g.account == label]
    for g in mine:
        create_group(session, g, template_ids)

    if "drift-lt" in template_ids:
        # Drift: fix the template after the fleet launched; instances keep their old options.
        ec2 = session.client("ec2", "us-east-1")
        ec2.create_launch_template_version(
            LaunchTemplateId=template_ids["drift-lt"], SourceVersion="1",
            LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}})
        ec2.modify_launch_template(LaunchTemplateId=template_ids["drift-lt"], DefaultVersion="2")

    _launch_state(session, mine)
    _usage(session, mine, now or datetime.now(timezone.utc))


def _seed(client, seed: int) -> None:
    """Seed moto's random ids: in this process (moto's mock), or on the moto server the client calls."""
    host = client.meta.endpoint_url
    if host.endswith(".amazonaws.com"):
        from moto.moto_api._internal import mock_random

        mock_random.seed(seed)
    else:
        urllib.request.urlopen(urllib.request.Request(f"{host}/moto-api/seed?a={seed}", method="POST"),
                               timeout=10).close()


def _eks_nodegroups(session, template_ids: dict[str, str]) -> None:
    """The EKS cluster "prod" and its managed node groups (what DescribeNodegroup answers).

    A node group owns the Auto Scaling group EKS made for it (``resources``), which is what confirms a
    group's eks: tags. moto names that group at random and creates none, so moto's random is seeded
    before each node group and the estate's group takes the name moto reports (EKS_NODEGROUP_GROUPS)."""
    eks = session.client("eks", "us-east-1")
    role = f"arn:aws:iam::{ACCOUNT}:role/eks-node"
    eks.create_cluster(name="prod", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d"]})
    for name, template in EKS_NODEGROUPS.items():
        given = {"launchTemplate": {"id": template_ids[template], "version": "1"}} if template else {}
        _seed(eks, EKS_SEEDS[name])
        made = eks.create_nodegroup(clusterName="prod", nodegroupName=name, nodeRole=role,
                                    subnets=["subnet-0a1b2c3d"], **given)["nodegroup"]
        own = [g["name"] for g in made["resources"]["autoScalingGroups"]]
        if own != [EKS_NODEGROUP_GROUPS[name]]:
            raise RuntimeError(f"moto named node group {name}'s Auto Scaling group {own}, the estate expects "
                               f"{EKS_NODEGROUP_GROUPS[name]}: update EKS_NODEGROUP_GROUPS for this moto")


def create_group(session, g: Group, template_ids: dict[str, str]) -> None:
    asg = session.client("autoscaling", g.region)
    kwargs = {"AutoScalingGroupName": g.name, "MinSize": 0, "MaxSize": max(4, g.capacity),
              "DesiredCapacity": g.capacity, "AvailabilityZones": [f"{g.region}a"],
              "Tags": [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in g.tags.items()]}
    if g.lc:
        kwargs["LaunchConfigurationName"] = g.lc
    elif g.overrides:
        kwargs["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateId": template_ids[g.template],
                                                "Version": g.version},
                "Overrides": [{"InstanceType": "t3.micro"}] + [
                    {"InstanceType": "t3.large", "LaunchTemplateSpecification": {
                        "LaunchTemplateId": template_ids[o], "Version": "$Default"}} for o in g.overrides],
            },
            "InstancesDistribution": {"OnDemandBaseCapacity": 0},
        }
    else:
        kwargs["LaunchTemplate"] = {"LaunchTemplateId": template_ids[g.template], "Version": g.version}
    asg.create_auto_scaling_group(**kwargs)


# The estate a quarter earlier, as differences from now: (account, group, version it used then).
EARLIER_VERSIONS = [
    ("payments", "pay-api-blue", "1"),      # fixed since: was pinned to v1 (optional)
    ("core", "api-pinned-v3", "1"),         # fixed since
    ("payments", "pay-worker-01", "1"),     # fixed since
    ("core", "web-canary", "$Default"),     # regressed since: moved to $Latest (optional)
]
ADDED_SINCE = [("core", "reports-hop3")]    # created during the quarter


def _group(label: str, name: str) -> Group:
    return next(g for g in GROUPS if g.account == label and g.name == name)


def _template_id(session, region: str, name: str) -> str:
    found = session.client("ec2", region).describe_launch_templates(LaunchTemplateNames=[name])
    return found["LaunchTemplates"][0]["LaunchTemplateId"]


def rewind(sessions: dict[str, boto3.session.Session]) -> None:
    """Put the estate back as it was a quarter earlier (see EARLIER_VERSIONS and ADDED_SINCE)."""
    _set_versions(sessions, {(a, n): v for a, n, v in EARLIER_VERSIONS})
    for label, name in ADDED_SINCE:
        g = _group(label, name)
        sessions[label].client("autoscaling", g.region).delete_auto_scaling_group(
            AutoScalingGroupName=name, ForceDelete=True)


def forward(sessions: dict[str, boto3.session.Session]) -> None:
    """From the earlier estate to today's: the fixes, the regression and the new group."""
    _set_versions(sessions, {(a, n): _group(a, n).version for a, n, _ in EARLIER_VERSIONS})
    for label, name in ADDED_SINCE:
        g = _group(label, name)
        create_group(sessions[label], g, {g.template: _template_id(sessions[label], g.region, g.template)})


def _set_versions(sessions, versions: dict[tuple[str, str], str]) -> None:
    for (label, name), version in versions.items():
        g = _group(label, name)
        sessions[label].client("autoscaling", g.region).update_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={
                "LaunchTemplateId": _template_id(sessions[label], g.region, g.template), "Version": version})


def build(session: boto3.session.Session, now: datetime | None = None) -> None:
    """The core account's part only (one account, three regions): enough for most tests."""
    build_account(session, "core", now)


def _launch_state(session, groups: list[Group]) -> None:
    """Give each running instance the metadata options AWS would have given it at launch."""
    for g in groups:
        if not g.capacity:
            continue
        options = g.launched or {"HttpTokens": "required" if g.expect == "compliant" else "optional"}
        found = session.client("autoscaling", g.region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[g.name])["AutoScalingGroups"][0]
        ec2 = session.client("ec2", g.region)
        for inst in found["Instances"]:
            ec2.modify_instance_metadata_options(InstanceId=inst["InstanceId"], **options)


def _usage(session, groups: list[Group], now: datetime) -> None:
    """IMDSv1 calls (MetadataNoToken) per instance, spread over the last days of the window."""
    for g in groups:
        if not g.imdsv1_calls:
            continue
        asg = session.client("autoscaling", g.region)
        cw = session.client("cloudwatch", g.region)
        found = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[g.name])["AutoScalingGroups"][0]
        ids = sorted(i["InstanceId"] for i in found["Instances"])
        for iid, total in zip(ids, g.imdsv1_calls, strict=False):  # fewer figures than instances is fine
            if not total:
                continue
            days = 4
            cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{
                "MetricName": "MetadataNoToken", "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                "Timestamp": now - timedelta(days=d + 1),
                "Value": float(total // days + (total % days if d == 0 else 0)), "Unit": "Count"}
                for d in range(days)])
