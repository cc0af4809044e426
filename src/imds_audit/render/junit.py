"""``findings.junit.xml``: the audit as a JUnit report, for CI dashboards (Jenkins, GitLab, GitHub
test reporters): one test suite per account and region, one test case per Auto Scaling group.

- compliant: a passing test case;
- non_compliant: ``<failure type="non_compliant">`` (message: the title, body: reason, severity,
  recommendation), or ``<skipped>`` with the justification under an accepted exception;
- unknown: ``<error type="unknown">``: the check could not run (a record it needs was not read).

Test case ``name`` is the group's name exactly; ``classname`` is ``imds-audit.ACCOUNT.REGION``. The
document is written with the standard library's ElementTree, which escapes markup, quotes and
newlines; characters that XML 1.0 cannot carry at all (C0 controls other than tab, CR, LF; lone
surrogates; U+FFFE/U+FFFF) become U+FFFD. Auto Scaling group names cannot hold them (AWS limits
names to XML characters), so a name read from AWS always survives exactly.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from imds_audit.analyze.severity import severity
from imds_audit.render import rule

FILE_NAME = "findings.junit.xml"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(s: str) -> str:
    """``s`` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", s)


def _details(row, label: str) -> str:
    lines = [rule.description(row), f"Severity: {label}", f"Recommendation: {rule.recommendation(row)}",
             "Finding id: " + rule.finding_id(rule.text(row, "account_id"), rule.text(row, "region"),
                                              rule.text(row, "asg_name"))]
    if rule.text(row, "exception") == "expired":
        lines.append(f"Exception expired on {rule.text(row, 'exception_expires')}: "
                     f"{rule.text(row, 'exception_reason')} (owner {rule.text(row, 'exception_owner')})")
    return "\n".join(lines)


def document(groups: pd.DataFrame, metadata: dict | None = None) -> ET.ElementTree:
    """The JUnit tree: <testsuites> of <testsuite> per account/region of <testcase> per group."""
    metadata = metadata or {}
    _, generated = rule.moments(metadata)
    labels = groups["severity"] if "severity" in groups.columns else severity(groups)
    root = ET.Element("testsuites", name="imds-audit")
    suites: dict[tuple[str, str], ET.Element] = {}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for (_, row), label in zip(groups.iterrows(), labels, strict=True):
        key = (rule.text(row, "account_id"), rule.text(row, "region"))
        if key not in suites:
            suites[key] = ET.SubElement(root, "testsuite", name=xml_text(f"{key[0]}/{key[1]}"),
                                        timestamp=generated.strftime("%Y-%m-%dT%H:%M:%S"))  # UTC
            counts[key] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        case = ET.SubElement(suites[key], "testcase", name=xml_text(rule.text(row, "asg_name")),
                             classname=xml_text(f"imds-audit.{key[0]}.{key[1]}"), time="0")
        status = rule.text(row, "status")
        outcome = None
        if status == "non_compliant" and rule.text(row, "exception") == "accepted":
            outcome = "skipped"
            ET.SubElement(case, "skipped", message=xml_text(
                f"accepted risk until {rule.text(row, 'exception_expires')} "
                f"(owner {rule.text(row, 'exception_owner')}): {rule.text(row, 'exception_reason')}"))
        elif status == "non_compliant":
            outcome = "failures"
            ET.SubElement(case, "failure", message=xml_text(rule.title(row)), type="non_compliant").text = \
                xml_text(_details(row, label))
        elif status != "compliant":
            outcome = "errors"
            ET.SubElement(case, "error", message=xml_text(rule.title(row)), type=status or "unknown").text = \
                xml_text(_details(row, label))
        for bucket in ("tests", outcome):
            if bucket:
                counts[key][bucket] += 1
                totals[bucket] += 1
    for key, suite in suites.items():
        for name, n in counts[key].items():
            suite.set(name, str(n))
    for name, n in totals.items():
        root.set(name, str(n))
    return ET.ElementTree(root)


def write(groups: pd.DataFrame, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    path = Path(path)
    tree = document(groups, metadata)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


__all__ = ["FILE_NAME", "document", "write", "xml_text"]
