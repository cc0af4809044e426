"""Large synthetic snapshots (no moto), for the analysis benchmark: every verdict case, at scale."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from imds_audit import snapshot as snap

READ_APIS = ("GetInstanceMetadataDefaults", "DescribeImages", "GetMetricData", "DescribeAutoScalingGroups")


def synthetic(groups: int, accounts: int = 20, regions: tuple[str, ...] = ("us-east-1", "eu-west-1",
              "ap-northeast-1", "us-west-2"), instances_per_group: int = 2, roles_per_account: int = 50,
              seed: int = 7) -> snap.Snapshot:
    rng = np.random.default_rng(seed)
    acct = np.array([f"{100000000000 + i}" for i in range(accounts)])
    g_acct = acct[rng.integers(0, accounts, groups)]
    g_region = np.array(regions)[rng.integers(0, len(regions), groups)]
    names = np.array([f"asg-{i:06d}" for i in range(groups)])
    kind = rng.choice(["lt", "lc", "mixed"], size=groups, p=[0.75, 0.15, 0.10])
    asg = pd.DataFrame({"account_id": g_acct, "region": g_region, "asg_name": names,
                        "launch_kind": np.select([kind == "lt", kind == "lc"],
                                                 ["launch_template", "launch_configuration"],
                                                 "mixed_instances_policy"),
                        "desired_capacity": instances_per_group, "tags": "{}"})
    tpl_ids = np.array([f"lt-{i:017x}" for i in range(groups)])
    version_req = rng.choice(["$Default", "$Latest", "1", "2"], size=groups)
    src = pd.DataFrame({"account_id": g_acct, "region": g_region, "asg_name": names,
                        "source_kind": np.where(kind == "lc", "launch_configuration", "launch_template"),
                        "position": np.where(kind == "mixed", "base", "single"),
                        "launch_template_id": np.where(kind == "lc", None, tpl_ids),
                        "launch_template_name": np.where(kind == "lc", None, names),
                        "version_requested": np.where(kind == "lc", None, version_req),
                        "launch_configuration_name": np.where(kind == "lc", names, None)})
    mixed = kind == "mixed"
    overrides = src[mixed].assign(position="override:1", launch_template_id=tpl_ids[mixed],
                                  version_requested="$Default")
    templates = pd.DataFrame({"account_id": g_acct, "region": g_region, "launch_template_id": tpl_ids,
                              "launch_template_name": names, "default_version": 1, "latest_version": 2})
    tokens = rng.choice(np.array(["required", "optional", None], dtype=object), size=(2, groups),
                        p=[0.6, 0.3, 0.1])
    endpoint = rng.choice(np.array(["enabled", "disabled", None], dtype=object), size=(2, groups),
                          p=[0.5, 0.05, 0.45])
    role = np.array([f"role-{i % roles_per_account}" for i in range(groups)])
    versions = pd.concat([pd.DataFrame({
        "account_id": g_acct, "region": g_region, "launch_template_id": tpl_ids, "launch_template_name": names,
        "version_number": v + 1, "http_tokens": tokens[v], "http_endpoint": endpoint[v],
        "hop_limit": rng.choice([1, 2, 3], size=groups, p=[0.8, 0.15, 0.05]), "image_id": "ami-0001",
        "iam_instance_profile_name": role + "-profile"}) for v in (0, 1)], ignore_index=True)
    lcs = pd.DataFrame({"account_id": g_acct, "region": g_region, "launch_configuration_name": names,
                        "http_tokens": tokens[0], "http_endpoint": endpoint[0], "image_id": "ami-0001",
                        "iam_instance_profile": role + "-profile"})[kind == "lc"]
    n_inst = groups * instances_per_group
    owner = np.repeat(np.arange(groups), instances_per_group)
    inst_ids = np.array([f"i-{i:017x}" for i in range(n_inst)])
    instances = pd.DataFrame({
        "account_id": g_acct[owner], "region": g_region[owner], "instance_id": inst_ids,
        "asg_name": names[owner], "state": "running",
        "launch_template_id": np.where(kind[owner] == "lc", None, tpl_ids[owner]),
        "launch_template_version": rng.choice(["1", "2"], size=n_inst),
        "launch_configuration_name": np.where(kind[owner] == "lc", names[owner], None),
        "http_tokens": rng.choice(["required", "optional"], size=n_inst), "http_endpoint": "enabled",
        "hop_limit": 1, "image_id": "ami-0001"})
    usage = pd.DataFrame({"account_id": instances["account_id"], "region": instances["region"],
                          "instance_id": inst_ids,
                          "metadata_no_token": np.where(rng.random(n_inst) < 0.1,
                                                        rng.integers(1, 5000, n_inst), 0).astype(float),
                          "window_days": 14})
    pairs = [(a, r) for a in acct for r in regions]
    images = pd.DataFrame({"account_id": [a for a, _ in pairs], "region": [r for _, r in pairs],
                           "image_id": "ami-0001", "imds_support": None})
    defaults = pd.DataFrame({"account_id": [a for a, _ in pairs], "region": [r for _, r in pairs]})
    admin = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                  "Resource": "*"}]})
    reader = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                         "Action": ["s3:GetObject", "ec2:Describe*"], "Resource": "*"}]})
    role_rows, prof_rows = [], []
    for a in acct:
        for i in range(roles_per_account):
            name = f"role-{i}"
            arn = f"arn:aws:iam::{a}:role/{name}"
            prof_rows.append({"account_id": a, "instance_profile_name": f"{name}-profile",
                              "instance_profile_arn": f"arn:aws:iam::{a}:instance-profile/{name}-profile",
                              "role_name": name, "role_arn": arn})
            role_rows.append({"account_id": a, "role_name": name, "role_arn": arn, "policy_kind": "inline",
                              "policy_name": "p", "document": admin if i == 0 else reader})
    calls = [{"account_id": a, "region": r, "api": api, "outcome": "ok", "message": ""}
             for a, r in pairs for api in READ_APIS]
    return snap.new({"auto_scaling_groups": asg, "launch_sources": pd.concat([src, overrides]),
                     "launch_templates": templates, "launch_template_versions": versions,
                     "launch_configurations": lcs, "instances": instances, "images": images,
                     "metadata_defaults": defaults, "instance_profiles": pd.DataFrame(prof_rows),
                     "role_policies": pd.DataFrame(role_rows), "imdsv1_usage": usage},
                    api_calls=calls, scope={"accounts": list(acct), "regions": list(regions)},
                    collected_by="synthetic", settings={"usage_window_days": 14, "synthetic": True})
