"""Hostile owner values (issue 13.5, red team): what the owner tags and the EKS answer name goes
everywhere a fix is written, and must stay inert there.

Only ``aws:`` tag keys are reserved: anyone allowed to tag a group can set ``eks:cluster-name``,
``eks:nodegroup-name`` or ``elasticbeanstalk:environment-name`` to anything, and a snapshot can be
tampered with or come from an emulator. Each case builds an owned group from snapshot rows (as
test_remediate_owners does), analyses, plans and renders it, and checks every channel:

- remediate.sh: valid bash; every command, parsed by shlex, is the plan's argv (the hostile value is one
  argument); run with ``--apply`` against an ``aws`` that records its argv, the calls are exactly the
  plan's and nothing else ran; bash's own parse of the script (comments dropped) is the parse of the same
  script with a benign value, so no comment or message started a line of code;
- terraform/fixes.tf: python-hcl2 parses it to the same blocks as with a benign value, the value only in
  strings that decode back to it;
- cloudformation.yaml: yaml.safe_load gives exactly the expected keys, all strings;
- console.md / console.ja.md and the report's HTML: no markup from a value, the value in code spans or
  escaped attributes;
- findings.csv raw (the contract), findings.xlsx never a formula; ASFF and OCSF valid JSON.

And the owner logic itself: tags a tagger can write must not turn a plain group into another service's
(a command against an environment the tags name, the group's own fix suppressed).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
from html.parser import HTMLParser

import hcl2
import pytest
import yaml
from test_remediate_owners import NODEGROUP_LT, _owned
from test_remediate_quoting import hcl2_can_read, hcl_decode

from imds_audit.remediate import bundle_files, quoting
from imds_audit.remediate.env import command
from imds_audit.remediate.render import group_parts

# ---- hostile values ---------------------------------------------------------------------------------------
# ``CANARY`` is a file in the script's working directory: any payload that runs creates it.
PAYLOADS = {
    "quote_break": "prod'; touch CANARY; echo '",
    "substitution": "$(touch CANARY)`touch CANARY`${IFS}$((1+1))",
    "newline_command": "prod\ntouch CANARY\n# ",
    "crlf_command": "prod\r\ntouch CANARY\r\n",
    "line_separators": "prod\u2028touch CANARY\u2029\x85touch CANARY\x0btouch CANARY\x0c",
    "option_like": "--endpoint-url=http://evil.example",
    "hcl_break": '"}\nresource "null_resource" "pwn" {\n  x = "${file("/etc/passwd")}" %{ if true }y%{ endif }\n}',
    "yaml_break": "X: {a: 1}\n- b\n--- !!python/object/apply:os.system ['touch CANARY']\n? k\n: v #",
    "html_attribute": '" onmouseover="alert(1)" x="\'><img src=x onerror=alert(1)>',
    "markdown_html": "<img src=x onerror=alert(1)>[x](javascript:alert(1)) **b** `c` ``d`` <script>alert(1)</script>",
    "formula": '=HYPERLINK("http://evil.example","x")',
    "jinja": "{{ 7*7 }}{% raw %}{#",
    "backticks": "` ``x`` `",
    "bidi": "prod\u202e\u2066live\u2069\u200b\ufeff",
    "long": "n" + "-very-long-name" * 400,
}
BENIGN = "benign value"          # needs quoting too: the shell and HCL shapes are comparable


def _nodegroup(cluster, nodegroup, lt_name="ng-lt", lt_id=NODEGROUP_LT) -> dict:
    return {"cluster_name": cluster, "nodegroup_name": nodegroup, "launch_template_id": lt_id,
            "launch_template_name": lt_name, "launch_template_version": "4", "outcome": "read"}


def eks_case(value: str):
    tags = {"eks:cluster-name": value, "eks:nodegroup-name": value, "kubernetes.io/cluster/x": "owned"}
    return _owned(tags, hop=2, nodegroup=_nodegroup(value, value, lt_name=value))


def beanstalk_case(value: str, field: str = "name"):
    """An environment whose name, or whose id (with the stack named after it: a tampered snapshot), is
    ``value``."""
    name, env_id = (value, "e-abcd1234") if field == "name" else ("shop-prod", value)
    tags = {"elasticbeanstalk:environment-name": name, "elasticbeanstalk:environment-id": env_id,
            "aws:cloudformation:stack-name": f"awseb-{env_id}-stack",
            "aws:cloudformation:logical-id": "AWSEBAutoScalingGroup"}
    return _owned(tags, instances=2)


def cloudformation_case(value: str, where: str = "group"):
    tags = {"aws:cloudformation:stack-name": value, "aws:cloudformation:logical-id": value}
    if where == "group":
        return _owned(tags)
    return _owned({}, template_tags=tags)


CASES = {"eks": eks_case, "elasticbeanstalk": beanstalk_case, "cloudformation": cloudformation_case}


# ---- the shell --------------------------------------------------------------------------------------------
def _literal(word) -> str:
    """A plan word as the shell hands it over before any expansion: variables as ``$NAME``."""
    if isinstance(word, quoting.Var):
        return "$" + word.name
    if isinstance(word, quoting.Word):
        return "".join(_literal(p) for p in word.parts)
    return str(word)


def _applied(word) -> str:
    """A plan word as the program receives it with --apply: every captured value is 7."""
    if isinstance(word, quoting.Var):
        return "7"
    if isinstance(word, quoting.Word):
        return "".join(_applied(p) for p in word.parts)
    return str(word)


def _command_body(action) -> str:
    """The command of an action as remediate.sh and the report print it, without the capture around it."""
    text = str(command(action, "plain"))
    if action.capture is not None:
        prefix = f"{action.capture.name}=$("
        assert text.startswith(prefix) and text.endswith(")")
        text = text[len(prefix):-1]
    return text


def _shell_split(text: str) -> list[str]:
    """shlex.split after what bash does first and shlex does not: a backslash-newline outside quotes
    joins two lines (the commands put one option per line)."""
    out, quote, i = [], None, 0
    while i < len(text):
        ch = text[i]
        if quote is None and text.startswith("\\\n", i):
            i += 2
            continue
        if quote is None and ch in "'\"":
            quote = ch
        elif ch == quote:
            quote = None
        out.append(ch)
        i += 1
    return shlex.split("".join(out))


FAKE_AWS = """#!/usr/bin/env bash
# records each call's argv, NUL-separated, one numbered file per call; answers like AWS would
n=$(ls "$LOG" | wc -l)
printf '%s\\0' "$@" > "$LOG/$(printf %04d "$n")"
case "${1-} ${2-}" in
  "sts get-caller-identity") echo 111111111111 ;;
  *) echo 7 ;;
esac
"""


def _run_script(script: str, tmp_path) -> list[list[str]]:
    """remediate.sh --apply with the fake aws first on PATH, in an empty working directory."""
    work, bindir, log = tmp_path / "cwd", tmp_path / "bin", tmp_path / "log"
    for d in (work, bindir, log):
        d.mkdir()
    (bindir / "aws").write_text(FAKE_AWS)
    (bindir / "aws").chmod(0o755)
    path = tmp_path / "remediate.sh"
    path.write_text(script, encoding="utf-8")
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", LOG=str(log))
    subprocess.run(["bash", str(path), "--apply"], cwd=work, env=env, check=True, capture_output=True)
    assert not (work / "CANARY").exists() and list(work.iterdir()) == [], "a payload ran"
    return [[a.decode("utf-8", "surrogateescape") for a in f.read_bytes().split(b"\0")[:-1]]
            for f in sorted(log.iterdir())]


def _bash_parse(script: str) -> str:
    """The script as bash parsed it, comments dropped: its text as the body of a function, printed back."""
    out = subprocess.run(["bash", "-c", 'eval "f() {\n$1\n}"; declare -f f', "-", script],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8", "surrogateescape")


def check_shell(plan, value: str, benign_plan, tmp_path) -> None:
    script = bundle_files(plan, "en")["remediate.sh"][0]
    subprocess.run(["bash", "-n", "-c", script], check=True)
    # each command, as printed, is the plan's argv word for word; shlex reads it as bash does
    for a in plan.actions:
        if not a.argv:
            continue
        body = _command_body(a)
        assert _shell_split(body) == [_literal(w) for w in a.argv], body
        assert body in script
    # applied: exactly the plan's calls, in order, each value one exact argument
    calls = _run_script(script, tmp_path)
    expected = [[_applied(w) for w in a.argv[1:]] for a in plan.actions if a.argv]
    assert calls[0][:2] == ["sts", "get-caller-identity"]
    assert calls[1:-1] == expected
    assert calls[-1][:2] == ["ec2", "modify-instance-metadata-defaults"]
    # the same code as with a benign value: comments and messages added no line of code
    benign = bundle_files(benign_plan, "en")["remediate.sh"][0]
    assert _bash_parse(script) == _bash_parse(benign).replace(quoting.sh(BENIGN), quoting.sh(value))


# ---- Terraform --------------------------------------------------------------------------------------------
def _decoded(node):
    """Every HCL string of a python-hcl2 tree, decoded as Terraform reads it (refusing any template)."""
    if isinstance(node, dict):
        return {k: _decoded(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decoded(v) for v in node]
    if isinstance(node, str) and node.startswith('"') and node.endswith('"') and len(node) >= 2:
        return hcl_decode(node)
    return node


def _shape(node):
    """The tree without its string values: block types, labels replaced by their position, keys."""
    if isinstance(node, dict):
        keys = sorted(node)
        labelled = keys and all(k.startswith('"') for k in keys)
        return {(f"label{i}" if labelled and not k.startswith('"aws') else k): _shape(node[k])
                for i, k in enumerate(keys)}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return type(node).__name__


def _strings(node) -> set:
    if isinstance(node, dict):
        return set().union(*(_strings(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings(v) for v in node)) if node else set()
    return {node} if isinstance(node, str) else set()


def check_terraform(plan, value: str, benign_plan, must_hold: bool = True) -> None:
    text = bundle_files(plan, "en")["terraform/fixes.tf"][0]
    assert hcl2_can_read(quoting.hcl_string(value)), "choose a payload python-hcl2 can read"
    tree = hcl2.loads(text)
    benign = hcl2.loads(bundle_files(benign_plan, "en")["terraform/fixes.tf"][0])
    assert _shape(tree) == _shape(benign)          # no block, attribute or label came from the value
    strings = _strings(_decoded(tree))
    if must_hold:
        assert value in strings or any(value in s for s in strings)


# ---- CloudFormation ---------------------------------------------------------------------------------------
METADATA = {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}
TEMPLATE_CHANGE = {"Properties": {"LaunchTemplateData": {"MetadataOptions": METADATA}}}
GROUP_CHANGE = {"Properties": {"LaunchTemplate": {"Version": "0"}}}


def check_cloudformation(plan, key: str, change: dict = TEMPLATE_CHANGE) -> None:
    text = bundle_files(plan, "en")["cloudformation.yaml"][0]
    assert yaml.safe_load(text) == {key: change}
    for line in text.splitlines():
        assert line.startswith(("#", "  ", key + ":", f'"{key}":')) or not line.strip(), line


# ---- Markdown and HTML ------------------------------------------------------------------------------------
class Tags(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.code, self.scripts = [], [], [], []
        self._in_code = self._in_script = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self._in_code += tag == "code"
        self._in_script += tag == "script"

    def handle_endtag(self, tag):
        self._in_code -= tag == "code"
        self._in_script -= tag == "script"

    def handle_data(self, data):
        if self._in_code:
            self.code.append(data)
        if self._in_script:
            self.scripts.append(data)


MARKDOWN_TAGS = {"h1", "h2", "h3", "p", "blockquote", "ol", "ul", "li", "code", "strong", "em"}


def check_console(plan, value: str) -> None:
    from imds_audit.present.sections import console_markdown

    shown = quoting.visible(value)
    for name in ("console.md", "console.ja.md"):
        md = bundle_files(plan, "en")[name][0]
        page = Tags(str(console_markdown(md)))
        assert set(page.tags) <= MARKDOWN_TAGS, set(page.tags) - MARKDOWN_TAGS
        assert all(k == "start" and v.isdigit() for k, v in page.attrs), page.attrs   # <ol start="5">
        assert any(shown in c for c in page.code), name           # the value is shown, as code
        for line in md.splitlines():                              # and never starts a line
            assert not line.startswith(("touch", "resource", "<img", "<script", "---", "? ", ": ")), line


def check_html(f, value: str | None) -> None:
    from imds_audit.present import ReportView

    view = ReportView(f)
    for html in (view.groups(), view.remediation()):
        page = Tags(html)
        assert not {"img", "iframe", "svg", "object", "embed"} & set(page.tags)
        assert not [k for k, _ in page.attrs if k.startswith("on")]
        assert not [v for k, v in page.attrs if k == "href" and not str(v).startswith("#")]
        assert page.scripts == [] or all("alert(1)" not in s for s in page.scripts)
    if value is not None:
        titles = [v for k, v in Tags(view.groups()).attrs if k == "title"]
        assert any(value in t for t in titles)      # the owner's name, exactly, as attribute text


# ---- exports ----------------------------------------------------------------------------------------------
def check_exports(f, value: str, tmp_path) -> None:
    from openpyxl import load_workbook

    from imds_audit.render import exports, interchange

    out = tmp_path / "exports"
    out.mkdir()
    written = exports.write_csv(f, out)
    with open(written["findings.csv"], newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    # the CSV is a contract: raw values, formulas included (the workbook is where they are neutralised)
    assert value in {row["owner_name"], row["owner_resource"], row["owner_id"]}
    exports.write_xlsx(f, out / "findings.xlsx")
    ws = load_workbook(out / "findings.xlsx")["groups"]
    header = [c.value for c in ws[1]]
    for column in ("managed_by", "owner_name", "owner_resource", "owner_id", "nodegroup_template_name"):
        cell = ws.cell(row=2, column=header.index(column) + 1)
        assert cell.data_type != "f", (column, cell.value)
    decoded = {re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)),
                      str(ws.cell(row=2, column=header.index(c) + 1).value))
               for c in ("owner_name", "owner_resource", "owner_id")}
    assert value in decoded
    (group,) = json.loads(exports.write_json(f, out / "findings.json").read_text(encoding="utf-8"))["groups"]
    assert value in {group["owner_name"], group["owner_resource"], group["owner_id"]}
    for path in interchange.write(f, out, ("asff", "ocsf"), exports.metadata(f.meta)).values():
        json.loads(path.read_text(encoding="utf-8"))


# ---- the cases --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_hostile_eks_names_stay_inert_in_every_channel(payload, tmp_path):
    value = PAYLOADS[payload]
    f, plan = eks_case(value)
    _, benign = eks_case(BENIGN)
    assert f.groups.loc[0, "managed_by"] == "eks"
    assert [a.kind for a in plan.actions] == ["create_version", "update_nodegroup"]
    update = plan.actions[1]
    assert update.argv[update.argv.index("--cluster-name") + 1] == value
    assert update.argv[update.argv.index("--nodegroup-name") + 1] == value
    check_shell(plan, value, benign, tmp_path)
    check_terraform(plan, value, benign)
    check_console(plan, value)
    check_html(f, value)
    check_exports(f, value, tmp_path)


@pytest.mark.parametrize("field", ["name", "id"])
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_hostile_beanstalk_environment_stays_inert_in_every_channel(payload, field, tmp_path):
    value = PAYLOADS[payload]
    f, plan = beanstalk_case(value, field)
    _, benign = beanstalk_case(BENIGN, field)
    assert f.groups.loc[0, "managed_by"] == "elasticbeanstalk"
    assert [a.kind for a in plan.actions] == ["update_environment"]
    if field == "id":
        argv = plan.actions[0].argv
        assert argv[argv.index("--environment-id") + 1] == value
    check_shell(plan, value, benign, tmp_path)
    check_terraform(plan, value, benign)
    check_console(plan, value)
    check_html(f, value if field == "name" else None)      # the table's title names the environment
    check_exports(f, value, tmp_path)


@pytest.mark.parametrize("where", ["group", "template"])
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_hostile_stack_names_stay_inert_in_every_channel(payload, where, tmp_path):
    value = PAYLOADS[payload]
    f, plan = cloudformation_case(value, where)
    _, benign = cloudformation_case(BENIGN, where)
    assert f.groups.loc[0, "managed_by"] == "cloudformation"
    assert not [a for a in plan.actions if a.argv]          # nothing runs for a stack's group
    check_shell(plan, value, benign, tmp_path)
    check_terraform(plan, value, benign, must_hold=False)    # a comment only: the stack owns the change
    if where == "template":
        check_cloudformation(plan, "LaunchTemplateLogicalId")
    else:
        check_cloudformation(plan, "AutoScalingGroupLogicalId", GROUP_CHANGE)
    check_console(plan, value)
    check_html(f, value)
    if where == "group":
        check_exports(f, value, tmp_path)


def test_hostile_launch_template_from_the_eks_answer_stays_one_json_value(tmp_path):
    """The node group's launch template id and name come from DescribeNodegroup (or a tampered
    snapshot): inside the --launch-template JSON they stay one string."""
    value = PAYLOADS["quote_break"] + '","version":"1"}' + PAYLOADS["substitution"]
    tags = {"eks:cluster-name": "prod", "eks:nodegroup-name": "ng"}
    f, plan = _owned(tags, hop=2, nodegroup=_nodegroup("prod", "ng", lt_name=value, lt_id=value))
    _, benign = _owned(tags, hop=2, nodegroup=_nodegroup("prod", "ng", lt_name=BENIGN, lt_id=BENIGN))
    calls = _run_script(bundle_files(plan, "en")["remediate.sh"][0], tmp_path)
    (update,) = [c for c in calls if c[:2] == ["eks", "update-nodegroup-version"]]
    assert json.loads(update[update.index("--launch-template") + 1]) == {"id": value, "version": "7"}
    (create,) = [c for c in calls if c[:2] == ["ec2", "create-launch-template-version"]]
    assert create[create.index("--launch-template-id") + 1] == value
    check_terraform(plan, value, benign)
    check_console(plan, value)


# ---- CloudFormation logical ids ---------------------------------------------------------------------------
# Letters and digits (a logical id's shape), but YAML 1.1 reads a bare one as a boolean or null: the key
# must stay the logical id, a string.
YAML_WORDS = ["Yes", "No", "True", "false", "On", "OFF", "Null", "NULL", "y", "n"]


@pytest.mark.parametrize("logical_id", YAML_WORDS + ["OrdersLT"])
def test_a_logical_id_that_yaml_reads_as_another_type_stays_a_string_key(logical_id):
    tags = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": logical_id}
    _, plan = _owned({}, template_tags=tags)
    check_cloudformation(plan, logical_id)


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_hostile_logical_id_is_never_a_yaml_key(payload):
    tags = {"aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": PAYLOADS[payload]}
    _, plan = _owned({}, template_tags=tags)
    check_cloudformation(plan, "LaunchTemplateLogicalId")


# ---- values no command line can carry ---------------------------------------------------------------------
UNCARRIABLE = {
    "eks": lambda v: {"eks:cluster-name": v, "eks:nodegroup-name": v},
    "elasticbeanstalk": lambda v: {"elasticbeanstalk:environment-name": v, "elasticbeanstalk:environment-id": "e-1",
                                   "aws:cloudformation:stack-name": "awseb-e-1-stack"},
    "cloudformation": lambda v: {"aws:cloudformation:stack-name": v, "aws:cloudformation:logical-id": v},
}


@pytest.mark.parametrize("owner", sorted(UNCARRIABLE))
@pytest.mark.parametrize("value", ["prod\x00-other", "prod\ud800"], ids=["nul", "surrogate"])
def test_a_tag_value_no_argument_can_hold_names_nothing(owner, value, tmp_path):
    """AWS never writes a NUL or a lone surrogate in a tag value; a tampered snapshot's tags JSON can
    hold both (``\\u0000``, ``\\ud800``). bash drops a NUL from a script, so the command would name
    another resource (``prod-other``); a lone surrogate cannot be written as UTF-8, and the analysis
    crashed on it. Such a value names nothing: the owner is known, its name is not, nothing runs."""
    f, plan = _owned(UNCARRIABLE[owner](value), nodegroup=_nodegroup("prod", "ng"), instances=1)
    assert f.groups.loc[0, "managed_by"] == owner
    assert f.groups[["owner_name", "owner_resource"]].isna().all(axis=None)
    assert not [a for a in plan.actions if a.argv]
    files = bundle_files(plan, "en")
    for text, _ in files.values():
        text.encode("utf-8")
        assert "\x00" not in text
    calls = _run_script(files["remediate.sh"][0], tmp_path)
    assert [c[:2] for c in calls] == [["sts", "get-caller-identity"], ["ec2", "modify-instance-metadata-defaults"]]
    from imds_audit.present import ReportView
    from imds_audit.render import exports

    view = ReportView(f)
    assert "remediation.failed" not in view.remediation() and view.groups()
    exports.write_csv(f, tmp_path)
    exports.write_xlsx(f, tmp_path / "findings.xlsx")


# ---- the owner logic: tags anyone can write ---------------------------------------------------------------
def test_beanstalk_tags_on_a_plain_group_do_not_make_it_an_environment():
    """``elasticbeanstalk:*`` keys are not reserved. Beanstalk's own group is in the environment's stack,
    ``awseb-<environment id>-stack``, and that stack name is in a tag only CloudFormation can set: without
    it the tags are a claim, and the tool must neither update the environment they name (another team's,
    whose instances would all be replaced) nor leave the group itself unfixed."""
    tags = {"elasticbeanstalk:environment-name": "payments-prod", "elasticbeanstalk:environment-id": "e-victim"}
    f, plan = _owned(tags, instances=1)
    assert f.groups.loc[0, "managed_by"] == ""
    kinds = [a.kind for a in plan.actions]
    assert "update_environment" not in kinds and kinds[0] == "create_version"
    assert [n.code for n in plan.fixes[0].notes] == ["beanstalk_unconfirmed"]
    script = bundle_files(plan, "en")["remediate.sh"][0]
    assert "elasticbeanstalk" not in "".join(line for line in script.splitlines() if not line.startswith("#"))
    assert "payments-prod" in group_parts(plan.fixes[0])["console"]


def test_beanstalk_tags_under_another_stack_follow_the_stack():
    tags = {"elasticbeanstalk:environment-name": "payments-prod", "elasticbeanstalk:environment-id": "e-victim",
            "aws:cloudformation:stack-name": "orders", "aws:cloudformation:logical-id": "OrdersGroup"}
    f, plan = _owned(tags)
    assert f.groups.loc[0, "managed_by"] == "cloudformation" and f.groups.loc[0, "owner_name"] == "orders"
    assert [n.code for n in plan.fixes[0].notes] == ["beanstalk_unconfirmed", "cloudformation"]


def test_beanstalk_environment_is_updated_by_the_id_its_stack_confirms():
    """A genuine Beanstalk group whose name tag was changed to another environment's: the command names
    the environment by the id the stack's name confirms, never by the name tag."""
    tags = {"elasticbeanstalk:environment-name": "someone-elses-env", "elasticbeanstalk:environment-id": "e-abcd1234",
            "aws:cloudformation:stack-name": "awseb-e-abcd1234-stack"}
    f, plan = _owned(tags, instances=1)
    assert f.groups.loc[0, "managed_by"] == "elasticbeanstalk"
    (update,) = plan.actions
    assert update.argv[update.argv.index("--environment-id") + 1] == "e-abcd1234"
    assert "--environment-name" not in update.argv


def test_beanstalk_keys_without_values_stay_an_environment_and_nothing_runs():
    """A snapshot before schema 3 kept keys without values: there is nothing to confirm against, the
    group stays the environment's (a note, no command), as before."""
    tags = {"elasticbeanstalk:environment-name": "", "aws:cloudformation:stack-name": ""}
    f, plan = _owned(tags, instances=1)
    assert f.groups.loc[0, "managed_by"] == "elasticbeanstalk"
    assert not plan.actions and [n.code for n in plan.fixes[0].notes] == ["beanstalk_unnamed"]
