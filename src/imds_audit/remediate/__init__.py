"""findings → remediation (DESIGN.md §6): console steps, AWS CLI, Terraform and preventive controls,
in English and Japanese, with the real names, ids and versions of each non-compliant group.

Public surface:
- ``remediation_for_group(group_row, source_rows, lang, launch_configurations=None)`` → dict of texts
- ``remediation_html(group_row, source_rows, lang, launch_configurations=None)`` → escaped HTML fragment
- ``remediation_for_groups(groups, sources, lang, launch_configurations=None)`` → the same texts for many
  groups at once, {(account_id, region, asg_name): dict}; ``remediation_html_for_groups`` likewise
- ``write_bundle(groups, sources, launch_configurations, out_dir, lang)`` → files under out_dir/remediation
- ``build_plan(groups, sources, launch_configurations)`` → the actions, for whoever needs them raw
"""

from imds_audit.remediate.bundle import write_bundle
from imds_audit.remediate.group import (
    remediation_for_group,
    remediation_for_groups,
    remediation_html,
    remediation_html_for_groups,
    warning_text,
)
from imds_audit.remediate.plan import build_plan
from imds_audit.remediate.preventive import declarative_policy, scp_policy

__all__ = [
           "build_plan",
           "declarative_policy",
           "remediation_for_group",
           "remediation_for_groups",
           "remediation_html",
           "remediation_html_for_groups",
           "scp_policy",
           "warning_text",
           "write_bundle",
]
