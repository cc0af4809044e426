"""Escaping for every place a resource name can land: shell words, JSON, JMESPath, HCL, Markdown, comments.

Resource names are data chosen by whoever created the resource. Each function here turns one into text
that the target language reads back as exactly that string, and nothing more.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, wraps

# Characters that must never reach a one-line context as themselves: control characters (a newline ends
# a comment and starts code), format characters (bidi marks reorder what a reviewer sees), separators.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}

_VAR_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _memo_str(fn):
    """Remember fn's result for str arguments (pure functions of the text; names recur across groups).
    Other types (int, ...) are computed each time: 1 and 1.0 must not share an entry."""
    cached = lru_cache(maxsize=1 << 16)(fn)

    @wraps(fn)
    def wrapper(text):
        return cached(text) if type(text) is str else fn(text)
    wrapper.uncached = fn
    return wrapper


_quote = lru_cache(maxsize=1 << 16)(shlex.quote)


@dataclass(frozen=True)
class Var:
    """A shell variable whose value is known only when the script runs (a new version number, a new id)."""
    name: str

    def __post_init__(self):
        # Variable names are generated, never taken from resource names: check it stays that way.
        if not _VAR_NAME.fullmatch(self.name):
            raise ValueError(f"not a shell variable name: {self.name!r}")


@dataclass(frozen=True)
class Word:
    """One shell word made of literal text and variables, e.g. ``'{"Version":"'"$V"'"}'``."""
    parts: tuple

    @classmethod
    def of(cls, *parts: str | Var) -> Word:
        return cls(tuple(p for p in parts if p != ""))


def sh(value: str | int | Word | Var) -> str:
    """One shell word. Literal text is single-quoted by shlex.quote (nothing inside is expanded);
    variables are double-quoted (expanded once, never split or globbed)."""
    if isinstance(value, Var):
        return f'"${value.name}"'
    if isinstance(value, Word):
        if not value.parts:
            return "''"
        # adjacent literal parts are quoted together: one '...' run between variables
        merged: list = []
        for part in value.parts:
            if merged and isinstance(part, str) and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        return "".join(sh(p) for p in merged)
    return _quote(value) if type(value) is str else shlex.quote(str(value))


def sh_join(words) -> str:
    return " ".join(sh(w) for w in words)


def compact_json(obj) -> str:
    """JSON as the AWS CLI reads it; non-ASCII kept readable (the shell quoting protects it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False)


def json_str(text: str) -> str:
    """A JSON string literal (with its quotes), for splicing JSON around shell variables."""
    return json.dumps(str(text), ensure_ascii=False)


def jmespath_literal(text: str) -> str:
    """A JMESPath JSON literal holding ``text``: backticks are the only character to escape inside."""
    return "`" + json.dumps(str(text), ensure_ascii=True).replace("`", "\\`") + "`"


@_memo_str
def visible(text) -> str:
    """One line of text with every hidden character shown as an escape (\\n, \\u200f, ...).

    Used wherever a name appears in a comment or prose: a newline in a name cannot end a comment,
    a bidi mark cannot reorder the line a reviewer reads."""
    text = str(text)
    if text.isascii() and text.isprintable():
        # printable ASCII holds no hidden character (those are \x00-\x1f and \x7f): only \ changes
        return text.replace("\\", "\\\\")
    return _visible(text)


def _visible(text: str) -> str:
    """visible() one character at a time (the general case, and the reference for the fast path)."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def comment(text) -> str:
    """Safe inside a ``#`` comment of bash or HCL: one line, nothing hidden."""
    return visible(text)


@_memo_str
def hcl_string(text) -> str:
    """A quoted HCL string literal that Terraform reads back as exactly ``text``.

    Escapes the HCL quoted-string escapes, and doubles the template introducers (``${`` → ``$${``,
    ``%{`` → ``%%{``) so nothing in a name is ever interpolated or run as a directive."""
    text = str(text)
    if text.isascii() and text.isprintable():
        # printable ASCII: only \ and " are escaped character by character (see _hcl_string)
        body = text.replace("\\", "\\\\").replace('"', '\\"')
    else:
        body = _hcl_body(text)
    body = body.replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def _hcl_string(text) -> str:
    """hcl_string() one character at a time (the reference for its fast path)."""
    body = _hcl_body(str(text)).replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def _hcl_body(text: str) -> str:
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            out.append(f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    return "".join(out)


def short_hash(text: str, n: int = 8) -> str:
    return hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:n]


def hcl_label(*parts: str, limit: int = 48) -> str:
    """A Terraform resource label from any names: a sanitised identifier plus a short hash of the
    originals, so two names that sanitise alike still get different labels."""
    if all(type(p) is str for p in parts) and type(limit) is int:
        return _hcl_label_cached(parts, limit)
    return _hcl_label(parts, limit)


def _hcl_label(parts: tuple, limit: int) -> str:
    raw = "\x00".join(str(p) for p in parts)
    ascii_ = unicodedata.normalize("NFKD", "_".join(str(p) for p in parts)).encode("ascii", "ignore").decode()
    ident = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_).strip("_")[:limit] or "r"
    # Terraform identifiers must start with a letter or underscore.
    if not re.match(r"[A-Za-z_]", ident):
        ident = "r_" + ident
    return f"{ident}_{short_hash(raw)}"


_hcl_label_cached = lru_cache(maxsize=1 << 16)(_hcl_label)


@_memo_str
def md_code(text) -> str:
    """An inline Markdown code span: its content is never read as Markdown nor as HTML, and a
    renderer HTML-escapes it. The fence is one backtick longer than any run inside the name."""
    body = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    # A space pads content that starts or ends with a backtick (CommonMark strips one on each side).
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ")):
        body = f" {body} "
    return f"{fence}{body}{fence}" if body else "` `"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~\"'$])")


@_memo_str
def md_text(text) -> str:
    """Plain Markdown text: every punctuation Markdown or HTML could act on is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", visible(text))


# Shell-safe, name-derived pieces of AWS names -----------------------------------------------------

_LT_NAME_BAD = re.compile(r"[^a-zA-Z0-9().\-/_]+")


def launch_template_name_for(lc_name: str) -> str:
    """The name of the launch template migrated from a launch configuration.

    Launch template names allow only ``[a-zA-Z0-9().-/_]`` and 3..128 characters, launch configuration
    names allow almost anything: sanitise, keep it short, and add a hash of the original so two
    configurations never map to one template name."""
    base = _LT_NAME_BAD.sub("-", str(lc_name)).strip("-")[:90] or "lc"
    return f"{base}-imdsv2-{short_hash(lc_name)}"
