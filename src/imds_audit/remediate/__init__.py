"""findings → remediation (DESIGN.md §6): console steps, AWS CLI, Terraform and preventive controls,
with the real names, ids and versions of each non-compliant group, in every catalogued language.

Public surface:
- ``build_plan(groups, sources, launch_configurations)`` → the one plan of a run (``pipeline`` builds it)
- ``plan_store.to_tables(plan)`` / ``plan_store.from_tables(...)`` → the plan in the findings artifact
- ``render.group_parts(fix, lang)`` → one group's console / CLI / Terraform / warning, from that plan
- ``bundle_files(plan, lang)`` → the files of remediation/ (written by ``render.writers``)
"""

from imds_audit.remediate.bundle import bundle_files
from imds_audit.remediate.plan import build_plan
from imds_audit.remediate.preventive import declarative_policy, scp_policy
from imds_audit.remediate.render import group_parts, warning_text

__all__ = ["build_plan", "bundle_files", "declarative_policy", "group_parts", "scp_policy", "warning_text"]
