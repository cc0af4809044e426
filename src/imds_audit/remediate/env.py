"""The Jinja2 environments that render remediation templates.

Resource names are data passed to templates, never template source: a name holding ``{{ … }}`` is printed,
not evaluated. In the text channels (shell, HCL, Markdown) every ``{{ … }}`` must go through an escaping
filter: ``finalize`` refuses any plain string that reaches the output, so a forgotten filter is an error
at render time, not an injection in the output. HTML templates use Jinja2's autoescape instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2
import markupsafe

from imds_audit.i18n import Catalogue
from imds_audit.remediate import quoting

TEMPLATES = Path(__file__).parent / "templates"


class Escaped(str):
    """Text already escaped for the channel it is written to."""


class UnescapedValue(TypeError):
    pass


def _finalize(value):
    # Numbers cannot carry syntax; everything else must have been escaped by a filter.
    if isinstance(value, Escaped) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise UnescapedValue(f"a value reached a template's output without an escaping filter: {value!r:.80}")


def _escaper(fn):
    def apply(value, *args):
        return Escaped(fn(value, *args))
    return apply


def _join(items, sep=", "):
    items = list(items)
    if not all(isinstance(i, Escaped) or type(i) is int for i in items):
        raise UnescapedValue("join of values that were not escaped first")
    return Escaped(str(sep).join(str(i) for i in items))


class Words:
    """The catalogue of one language as the text templates see it: ``t("key", name=x|md)``.

    The catalogue's text is ours and trusted; every value put into it must already be escaped for the
    channel (or be a number), exactly as for the template's own ``{{ … }}``: a value that is not is
    refused here, so a forgotten filter is an error, not an injection."""

    def __init__(self, lang: str):
        self.tr = Catalogue(lang)
        self.lang = self.tr.lang

    @staticmethod
    def _check(values: dict) -> dict:
        for name, value in values.items():
            if not (isinstance(value, Escaped) or (isinstance(value, int) and not isinstance(value, bool))):
                raise UnescapedValue(f"catalogue value {name!r} was not escaped: {value!r:.80}")
        return values

    def __call__(self, key: str, /, **values) -> Escaped:
        return Escaped(self.tr(key, **self._check(values)))

    def count(self, key: str, n: int, /, **values) -> Escaped:
        return Escaped(self.tr.count(key, int(n), **self._check(values)))

    def join(self, items) -> Escaped:
        """Escaped items joined with the language's list separator."""
        return _join(items, self.tr("list.sep"))

    def has(self, key: str) -> bool:
        return self.tr.has(key)


def _comments(text, prefix: str = "# ") -> Escaped:
    """Catalogue text (already escaped) as comment lines: each line of it after ``prefix``."""
    if not isinstance(text, Escaped):
        raise UnescapedValue(f"comment text that was not escaped: {text!r:.80}")
    return Escaped("\n".join((prefix + line).rstrip() for line in str(text).split("\n")))


def _ident(value) -> str:
    # Labels and variable names are generated, never raw names: refuse anything else.
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(value)):
        raise UnescapedValue(f"not an identifier: {value!r:.80}")
    return str(value)


def command(action, mode: str = "plain") -> Escaped:
    """The shell text of an action: ``plain`` for a person to paste, ``bundle`` for remediate.sh
    (run/capture/to_file print each command and run it only with --apply)."""
    if not action.argv:
        return Escaped("")   # nothing to run (a stack change is made by a person)
    lines = []
    if action.kind == "update_mixed":
        lines.append(_one(action.facts["read_argv"], None, None, action.facts["read_file"], mode))
    lines.append(_one(action.argv, action.capture, action.pattern, action.to_file, mode))
    return Escaped("\n".join(lines))


def _one(argv, capture, pattern, to_file, mode) -> str:
    words = [quoting.sh(w) for w in argv]
    # one option per line: long commands stay readable; a backslash-newline joins them back for bash
    body = words[0]
    for w in words[1:]:
        body += (" \\\n    " if w.startswith("--") else " ") + w
    if mode == "bundle":
        if capture is not None:
            return f"capture {capture.name} {quoting.sh(pattern)} {body}"
        if to_file is not None:
            return f"to_file {quoting.sh(to_file)} {body}"
        return f"run {body}"
    if capture is not None:
        return f"{capture.name}=$({body})"
    if to_file is not None:
        return f"{body} > {quoting.sh(to_file)}"
    return body


def _facts(facts: dict, escaper: str) -> dict:
    """A note's facts for a catalogue sentence: numbers as they are, every other value escaped with the
    channel's filter (``comment``, ``md``, ``text``...)."""
    escape = _filters()[escaper]
    return {k: v if type(v) is int else escape("" if v is None else str(v)) for k, v in facts.items()}


def _filters() -> dict:
    return {
        "facts": _facts,
        "sh": _escaper(quoting.sh),
        "comment": _escaper(quoting.comment),
        "text": _escaper(quoting.visible),
        "md": _escaper(quoting.md_code),
        "mdtext": _escaper(quoting.md_text),
        "hcl": _escaper(quoting.hcl_string),
        "label": _escaper(lambda v: quoting.hcl_label(*v) if isinstance(v, (list, tuple)) else quoting.hcl_label(v)),
        "varname": _escaper(lambda v: v.name),
        "command": command,
        "join": _join,
        # the output of a macro of these templates: built only from escaped values and template text
        "rendered": lambda v: Escaped(v),
        "num": lambda v: int(v),
        "ident": _escaper(_ident),
        "comments": _comments,
    }


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """``x.name`` on a plain dict without trying (and failing) the attribute first.

    Jinja2 looks an attribute up before an item; a plain dict has no attribute outside ``dir(dict)``
    (no instance ``__dict__``), so for any other name the item lookup alone gives the same result, without
    raising an AttributeError on each of the templates' many ``f.lt_name``-style lookups."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        # jinja2.Environment.getattr, inlined (this runs for every attribute in every template)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


@lru_cache(maxsize=1)
def text_env() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False, finalize=_finalize,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(_filters())
    return env


@lru_cache(maxsize=1)
def html_env() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    return env


def render(name: str, **context) -> str:
    return text_env().get_template(name).render(**context)


def render_html(name: str, **context) -> markupsafe.Markup:
    return markupsafe.Markup(html_env().get_template(name).render(**context))
