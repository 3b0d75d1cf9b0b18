"""Griffe extension: show the reStructuredText bits of our docstrings cleanly in Markdown.

The library's docstrings are numpy style but use a few reST habits: roles such as
``:class:`~backprop.Network``` and ``:meth:`fit```, and simple tables drawn with
``=====`` rules. mkdocstrings renders docstrings as Markdown, so without this the roles
show up literally and the tables collapse into one paragraph. This extension, run when
the API is collected, turns a role into inline code (the last dotted part when the
target starts with ``~``) and a simple table into a preformatted block. The source
files are not changed.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:mod|class|func|meth|attr|data|exc|obj):`(~?)([^`]+)`")
RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")


def _role(match: re.Match) -> str:
    target = match[2]
    if match[1]:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def convert(text: str) -> str:
    """The docstring with roles as inline code and reST simple tables fenced."""
    text = ROLE.sub(_role, text)
    lines, out, i, fenced = text.splitlines(), [], 0, False
    while i < len(lines):
        if lines[i].lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and RULE.match(lines[i]):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            # a simple table: rule, rows, rule[, rows, rule]; ends at the rule followed by a blank line
            j, rules = i, 0
            while j < len(lines) and lines[j].strip():
                rules += bool(RULE.match(lines[j]))
                j += 1
            if rules >= 2:
                out.append(indent + "```text")
                out.extend(lines[i:j])
                out.append(indent + "```")
                i = j
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


class RstRoles(griffe.Extension):
    def on_object(self, *, obj, loader, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
