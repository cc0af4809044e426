"""One config file for every verb: ``imds-audit.toml`` in the working folder, or ``--config FILE``.

```toml
# keys at the top apply to every verb that has the option
profile = ["audit-prod", "audit-dev"]
regions = ["us-east-1", "eu-west-1"]      # a list, or "us-east-1,eu-west-1" as on the command line

[report]                                  # [collect], [report], [run], [demo], [send-securityhub]
format = "html,pdf,csv"
lang = "ja"
client = "ACME Corp"
```

Keys are the options' long names without the dashes (``window-days``, ``org-role``; ``window_days``
is the same key). The command line wins over the file, a verb's table over the top level. Relative
paths are relative to the config file's folder. An unknown key, a table that is no verb, or a value
of the wrong type is an error naming the key (and the closest known one); the command line exits 2
with that one line. The file is read with the standard library's ``tomllib``.

The values become click's ``default_map``, so they are checked and converted by the very options
they set: a new option of a verb is a valid key with no change here.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import get_args

import typer
from typer.core import TyperGroup

FILE_NAME = "imds-audit.toml"


class ConfigError(ValueError):
    """A config file that cannot be used; the message is one line naming the key."""


def _key(param) -> str | None:
    """The config key of an option: its longest ``--name``, without the dashes."""
    if getattr(param, "param_type_name", "") != "option":
        return None
    longs = [o for o in param.opts if o.startswith("--")]
    return max(longs, key=len)[2:] if longs else None


def options_of(command) -> dict:
    return {k: p for p in command.params if (k := _key(p))}


def _suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _annotation(param):
    """The Python type one value of ``param`` has (typer's type descriptor; click's type name else)."""
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:
        return get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    return {"boolean": bool, "integer": int, "float": float, "path": Path}.get(getattr(param.type, "name", ""), str)


KINDS = {bool: "a boolean", int: "an integer", float: "a number", str: "a text", Path: "a path (text)"}


def _check(where: str, param, value, base: Path):
    """One value from the file, of the option's type (paths made relative to the file's folder)."""
    kind = _annotation(param)
    if kind is str and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)  # a list for a comma-separated option
    ok = {bool: isinstance(value, bool), int: isinstance(value, int) and not isinstance(value, bool),
          float: isinstance(value, (int, float)) and not isinstance(value, bool)}.get(kind, isinstance(value, str))
    if not ok:
        raise ConfigError(f"{where} must be {KINDS.get(kind, 'a text')}, not {value!r}")
    if kind is Path and not Path(value).expanduser().is_absolute():
        value = str(base / Path(value).expanduser())
    return value


def _convert(where: str, command, param, value, base: Path):
    """``value`` checked against ``param``'s type and converted by the option itself (its ranges too)."""
    if param.multiple:
        value = [_check(where, param, v, base) for v in (value if isinstance(value, list) else [value])]
    else:
        value = _check(where, param, value, base)
    try:
        return param.process_value(command.context_class(command), value)
    except Exception as exc:  # click's BadParameter (typer has its own copy of click)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise ConfigError(f"{where}: {message}") from None


def read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def default_map(commands: dict, path: Path | None = None, cwd: Path | None = None) -> dict | None:
    """click's ``default_map`` ({verb: {parameter name: value}}) from ``path``, or from
    ``imds-audit.toml`` in ``cwd`` when no path is given (None when there is no such file)."""
    if path is None:
        path = (cwd or Path.cwd()) / FILE_NAME
        if not path.is_file():
            return None
    elif not Path(path).is_file():
        raise ConfigError(f"--config {path}: no such file")
    path = Path(path)
    doc, base, name = read(path), path.resolve().parent, path.name
    options = {verb: options_of(cmd) for verb, cmd in commands.items()}
    every = set().union(*options.values()) if options else set()
    shared, sections = {}, {}
    for key, value in doc.items():
        if isinstance(value, dict):
            if key not in commands:
                raise ConfigError(f"{name}: unknown table [{key}]{_suggest(key, commands)}; "
                                  f"tables are verbs: {', '.join(sorted(commands))}")
            sections[key] = value
        else:
            canonical = key.replace("_", "-")
            if canonical not in every:
                raise ConfigError(f"{name}: unknown key {key!r}{_suggest(canonical, every)}")
            shared[canonical] = value
    out: dict[str, dict] = {}
    for verb, opts in options.items():
        given = {k: (f"{name}: {k!r}", v) for k, v in shared.items() if k in opts}
        for key, value in sections.get(verb, {}).items():
            canonical = key.replace("_", "-")
            if canonical not in opts:
                raise ConfigError(f"{name}: [{verb}] unknown key {key!r}{_suggest(canonical, opts)}")
            given[canonical] = (f"{name}: [{verb}] {key!r}", value)
        out[verb] = {opts[k].name: _convert(where, commands[verb], opts[k], v, base)
                     for k, (where, v) in given.items()}
    return out


def pop_config(args: list[str]) -> tuple[list[str], Path | None]:
    """``args`` without ``--config FILE`` / ``--config=FILE`` (wherever it stands before ``--``)."""
    rest, path, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--config":
            if i + 1 >= len(args):
                raise ConfigError("--config needs a FILE")
            path, i = Path(args[i + 1]), i + 2
            continue
        if arg.startswith("--config="):
            path = Path(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        i += 1
    return rest, path


class ConfigGroup(TyperGroup):
    """The command group that reads the config file before any verb parses its options; ``--config
    FILE`` may stand before or after the verb."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epilog = self.epilog or (f"Options may also come from ./{FILE_NAME} or --config FILE (TOML; before or "
                                      "after the verb); the command line wins.")

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        try:
            args, path = pop_config(list(args))
            ctx.default_map = default_map(self.commands, path)
        except ConfigError as exc:
            typer.secho(f"imds-audit: {exc}", err=True, fg=typer.colors.RED)
            ctx.exit(2)
        return super().parse_args(ctx, args)


__all__ = ["FILE_NAME", "ConfigError", "ConfigGroup", "default_map", "options_of", "pop_config", "read"]
