"""What a collection leaves out on purpose: ``--asg GLOB``, ``--tag KEY=VALUE``, ``--exclude-regions``.

- ``--asg GLOB`` (repeatable, or a comma list): a group is kept when its name matches any of the globs
  (:func:`fnmatch.fnmatchcase`: case-sensitive; ``*``, ``?``, ``[seq]``, ``[!seq]``). A comma inside
  ``[...]`` is part of the glob, so ``a[,]b`` matches the name ``a,b``; spaces around each item are
  dropped (``[ ]`` matches one). An empty item is an error, never "every group".
- ``--tag KEY=VALUE`` (repeatable): a group is kept when it carries every KEY given, each with one of
  the VALUEs given for that KEY: different keys must all match (AND), the same key repeated matches
  any of its values (OR), as AWS's own tag filters do. Split at the first ``=``; key and value are
  compared exactly (case-sensitive, spaces kept); ``KEY=`` matches the tag with an empty value.
- Both: a group must pass both.
- ``--exclude-regions r1,r2``: region names checked like ``--regions``; no API call is made to them.

Groups are filtered in the DescribeAutoScalingGroups answer, before anything else about them is read
(no template, instance or metric call for a group left out). Only how many groups were left out per
account and region is kept, never their names or their tags; the filters themselves are recorded in
the snapshot's manifest (``scope.filters``) so that the report states them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from fnmatch import fnmatchcase


class FilterError(ValueError):
    """A filter that cannot be used; the message is one line naming the option."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:59] + "…")


def split_globs(text: str) -> list[str]:
    """``text`` split at the commas that are not inside a ``[...]`` set (read as fnmatch reads one)."""
    items, start, i, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "[":
            j = i + 1
            if j < n and text[j] == "!":
                j += 1
            if j < n and text[j] == "]":
                j += 1
            while j < n and text[j] != "]":
                j += 1
            i = j + 1 if j < n else i + 1  # an unclosed "[" is a literal character
            continue
        if c == ",":
            items.append(text[start:i])
            start = i + 1
        i += 1
    items.append(text[start:])
    return items


def parse_asg(values) -> tuple[str, ...]:
    """The globs of ``--asg`` (a text, or a list of texts each maybe a comma list), in order, once each."""
    globs: list[str] = []
    for value in [values] if isinstance(values, str) else list(values or []):
        for item in split_globs(value):
            item = item.strip()
            if not item:
                raise FilterError(f"--asg {_shown(value)}: an empty pattern; give a glob such as 'web-*'")
            if item not in globs:
                globs.append(item)
    return tuple(globs)


def parse_tags(values) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``--tag KEY=VALUE`` values as ((key, (value, ...)), ...), keys in the order first given."""
    by_key: dict[str, list[str]] = {}
    for text in [values] if isinstance(values, str) else list(values or []):
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise FilterError(f"--tag {_shown(text)}: expected KEY=VALUE (e.g. Environment=prod)")
        wanted = by_key.setdefault(key, [])
        if value not in wanted:
            wanted.append(value)
    return tuple((k, tuple(v)) for k, v in by_key.items())


@dataclass(frozen=True)
class GroupFilter:
    """Which groups of a DescribeAutoScalingGroups answer are collected."""

    asg: tuple[str, ...] = ()
    tags: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, asg=None, tag=None) -> GroupFilter:
        return cls(asg=parse_asg(asg), tags=parse_tags(tag))

    @property
    def active(self) -> bool:
        return bool(self.asg or self.tags)

    def keeps(self, group: dict) -> bool:
        """Whether ``group`` (one item of DescribeAutoScalingGroups) passes every filter."""
        name = group.get("AutoScalingGroupName") or ""
        if self.asg and not any(fnmatchcase(name, glob) for glob in self.asg):
            return False
        if self.tags:
            carried = {t.get("Key"): t.get("Value") or "" for t in group.get("Tags") or []}
            return all(key in carried and carried[key] in values for key, values in self.tags)
        return True


def scope_facts(group_filter: GroupFilter, exclude_regions) -> dict:
    """The filters as the manifest records them (``scope.filters``)."""
    return {"asg": list(group_filter.asg), "tags": {k: list(v) for k, v in group_filter.tags},
            "exclude_regions": list(exclude_regions or [])}


def command_line(filters: dict | None, regions: bool = True) -> str:
    """The recorded filters as the options that give them (shell-quoted: ``--asg 'web-*'``); "" for none.
    ``regions=False``: the group filters only (--asg, --tag)."""
    filters = filters or {}
    words = []
    for glob in filters.get("asg") or []:
        words += ["--asg", shlex.quote(glob)]
    for key, values in (filters.get("tags") or {}).items():
        for value in values:
            words += ["--tag", shlex.quote(f"{key}={value}")]
    if regions and filters.get("exclude_regions"):
        words += ["--exclude-regions", shlex.quote(",".join(filters["exclude_regions"]))]
    return " ".join(words)


__all__ = ["FilterError", "GroupFilter", "command_line", "parse_asg", "parse_tags", "scope_facts", "split_globs"]
