"""What a run's exit code says, so that a CI job or a runbook can act on it (DESIGN.md §8).

====  =======================================================================================
code  meaning
====  =======================================================================================
0     every assessed group is IMDSv2-only (or covered by a valid exception) and everything in
      scope was assessed
3     at least one group allows IMDSv1 and no valid exception covers it
4     nothing allows IMDSv1, but something in scope was not assessed: a group whose verdict is
      unknown (and not excepted), or an API call that did not succeed
2     usage or input error: a bad option, a damaged snapshot, a malformed exceptions file
1     unexpected failure (a bug, or the machine: e.g. no browser for the PDF's charts)
====  =======================================================================================

``--fail-on`` chooses which of 3 and 4 fail the run: ``unknown`` (the default) both, ``non_compliant``
only 3 (a not-assessed scope then exits 0), ``never`` neither (the code is always 0 after a
successful run, for a demo or an exploratory audit).
"""

from __future__ import annotations

OK, FAILURE, USAGE, NON_COMPLIANT, NOT_ASSESSED = 0, 1, 2, 3, 4
FAIL_ON = ("non_compliant", "unknown", "never")


def _uncovered(groups, status: str) -> int:
    mask = groups["status"].eq(status).fillna(False)
    if "exception" in groups.columns:
        mask &= ~groups["exception"].eq("accepted").fillna(False)
    return int(mask.sum())


def exit_code(findings, fail_on: str = "unknown") -> int:
    """The code of a run that produced ``findings`` (see the table above)."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if fail_on == "never":
        return OK
    groups = findings.groups
    if _uncovered(groups, "non_compliant"):
        return NON_COMPLIANT
    if fail_on == "non_compliant":
        return OK
    not_read = findings.not_assessed is not None and len(findings.not_assessed) > 0
    if _uncovered(groups, "unknown") or not_read:
        return NOT_ASSESSED
    return OK


__all__ = ["FAIL_ON", "FAILURE", "NON_COMPLIANT", "NOT_ASSESSED", "OK", "USAGE", "exit_code"]
