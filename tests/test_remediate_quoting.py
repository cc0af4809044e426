"""Any resource name is data: every generated command, HCL string, comment and Markdown span reads back
as exactly that name, and nothing in a name is ever executed, interpolated or evaluated."""

from __future__ import annotations

import re
import shlex
import subprocess

import hcl2
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imds_audit.remediate import quoting
from imds_audit.remediate.env import UnescapedValue, text_env

HOSTILE = ["$(touch /tmp/pwned)", "`id`", "a'b\"c", "x; rm -rf /", "line1\nline2", "<script>alert(1)</script>",
           "{{ 7*7 }}", "{% raw %}", "${var.x}", "%{ if true }", "\u202eevil\u200f", "日本語のグループ",
           "a" * 600, "back\\slash", "tab\there", "", " lead", "trail ", "--region", "-n", "*", "~root",
           "!!", "$HOME", "a\rb", "\x1b[31mred", "`" * 3 + "x", "#comment"]

# Names AWS could hold (NUL cannot pass through argv at all, surrogates are not text).
names = st.one_of(st.sampled_from(HOSTILE),
                  st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                          max_size=200))


def bash_argv(command_text: str) -> list[str]:
    """What bash passes to the program: run the text with a printf in place of the command."""
    out = subprocess.run(["bash", "-c", 'f() { printf "%s\\0" "$@"; }; ' + command_text],
                         capture_output=True, check=True)
    return [a.decode("utf-8", "surrogateescape") for a in out.stdout.split(b"\0")[:-1]]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(names, min_size=1, max_size=4))
def test_shell_words_round_trip_through_shlex_and_bash(values):
    text = quoting.sh_join(values)
    assert shlex.split(text) == values
    assert bash_argv("f " + text) == values
    subprocess.run(["bash", "-n", "-c", "f " + text], check=True)


@settings(max_examples=80, deadline=None)
@given(names, names)
def test_words_mixing_text_and_variables_expand_once(left, right):
    word = quoting.Word.of(left, quoting.Var("NEW_VERSION_1"), right)
    # the variable's value is itself hostile: it must be substituted, never re-parsed
    assert bash_argv("NEW_VERSION_1='$(id)'; f " + quoting.sh(word)) == [left + "$(id)" + right]


def hcl_decode(literal: str) -> str:
    """Decode a quoted HCL string the way Terraform does (escapes, $${ and %%{), refusing any
    interpolation or directive: a name must never become an expression."""
    assert literal.startswith('"') and literal.endswith('"')
    body, out, i = literal[1:-1], [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        if body.startswith("$${", i) or body.startswith("%%{", i):
            out.append(body[i + 1:i + 3]); i += 3
        elif body.startswith("${", i) or body.startswith("%{", i):
            raise AssertionError(f"template sequence in HCL string: {literal!r}")
        elif body[i] == "\\":
            c = body[i + 1]
            if c in simple:
                out.append(simple[c]); i += 2
            elif c == "u":
                out.append(chr(int(body[i + 2:i + 6], 16))); i += 6
            elif c == "U":
                out.append(chr(int(body[i + 2:i + 10], 16))); i += 10
            else:
                raise AssertionError(f"bad escape in {literal!r}")
        else:
            assert body[i] != '"' and body[i] not in "\n\r"
            out.append(body[i]); i += 1
    return "".join(out)


def hcl2_can_read(literal: str) -> bool:
    """python-hcl2 8.x rejects a Terraform-valid escaped ``$${`` / ``%%{`` that has no later ``}``
    (e.g. ``"x$${"``); Terraform reads it. The decoder above checks those names."""
    depth = 0
    for m in re.finditer(r"(\$\$\{|%%\{)|(\})", literal):
        depth = depth + 1 if m.group(1) else max(depth - 1, 0)
    return depth == 0


@settings(max_examples=200, deadline=None)
@given(names)
def test_hcl_strings_parse_back_to_the_name(name):
    literal = quoting.hcl_string(name)
    assert hcl_decode(literal) == name       # Terraform's reading: escapes, $${ and %%{, no interpolation
    if hcl2_can_read(literal):
        parsed = hcl2.loads(f'resource "aws_autoscaling_group" "x" {{\n  name = {literal}\n}}\n')
        assert parsed["resource"][0]['"aws_autoscaling_group"']['"x"']["name"] == literal


@settings(max_examples=150, deadline=None)
@given(st.lists(names, min_size=1, max_size=3))
def test_hcl_labels_are_identifiers_and_distinct(parts):
    label = quoting.hcl_label(*parts)
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label) and len(label) <= 60
    assert quoting.hcl_label(*parts, "other") != label


def test_labels_of_names_that_sanitise_alike_differ():
    assert quoting.hcl_label("web asg") != quoting.hcl_label("web_asg")


@settings(max_examples=150, deadline=None)
@given(names)
def test_comments_and_code_spans_stay_on_one_line(name):
    for text in (quoting.comment(name), quoting.md_code(name)):
        assert "\n" not in text and "\r" not in text
        assert not any(ch in text for ch in "\u202e\u200f\u2028\u2029\x1b")
    # a code span is delimited by a run of backticks longer than any inside it
    span = quoting.md_code(name)
    fence = re.match(r"`+", span).group(0)
    assert span.endswith(fence) and fence not in span[len(fence):-len(fence)]


def test_markdown_renders_names_as_text():
    mistune = pytest.importorskip("mistune")
    html = mistune.html("name: " + quoting.md_code("<script>alert(1)</script>"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    html = mistune.html(quoting.md_text("*bold* <b>x</b> [l](http://e)"))
    assert "<b>" not in html and "<em>" not in html and "<a " not in html


def test_templates_never_evaluate_names_and_refuse_unescaped_values():
    env = text_env()
    assert env.from_string("{{ x|comment }}").render(x="{{ 7*7 }}") == "{{ 7*7 }}"
    with pytest.raises(UnescapedValue):
        env.from_string("{{ x }}").render(x="raw")
    with pytest.raises(UnescapedValue):
        env.from_string("{{ xs|join(', ') }}").render(xs=["raw"])
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing|comment }}").render()


def test_template_files_escape_every_value():
    """Every {{ }} in the text templates ends in an escaping filter, or is the catalogue's words (``t``:
    trusted text whose every value must itself be escaped; finalize and Words enforce both at render
    time; this keeps it visible in review)."""
    from imds_audit.remediate.env import TEMPLATES
    allowed = ("|comment", "|sh", "|text", "|md", "|mdtext", "|hcl", "|ident", "|num", "|rendered",
               "|command(", "|join(", "|length", "|comments")
    for path in TEMPLATES.glob("*.j2"):
        if path.name.endswith(".html.j2"):
            continue
        for expr in re.findall(r"\{\{(.*?)\}\}", path.read_text(encoding="utf-8")):
            words = re.fullmatch(r"\s*t(\.count)?\(.*\)\s*", expr)
            assert any(f in expr.replace(" ", "") for f in allowed) or words or expr.strip() == "ns.n", (path.name, expr)


def test_launch_template_names_for_configurations_are_valid():
    for name in HOSTILE + ["x"]:
        lt = quoting.launch_template_name_for(name)
        assert re.fullmatch(r"[a-zA-Z0-9().\-/_]{3,128}", lt)
    assert quoting.launch_template_name_for("a b") != quoting.launch_template_name_for("a-b")
