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

SECTION = re.compile(r"^(Parameters|Other Parameters|Attributes|Returns|Yields|Raises|Warns)\s*$")
ENTRY = re.compile(r"^(?P<names>[*\w]+(?:\s*,\s*[*\w]+)*)\s+:\s+(?P<text>.+)$")
ROLE = re.compile(r":(?:py:)?(?:mod|class|func|meth|attr|data|exc|obj):`(~?)([^`]+)`")
RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")


def _role(match: re.Match) -> str:
    target = match[2]
    if match[1]:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _looks_like_prose(text: str) -> bool:
    """A numpy "type" that is really a description: inline code or more than eight words."""
    return "``" in text or len(text.split()) > 8


def _indented(lines: list[str], i: int) -> bool:
    """Line i exists, has content and is indented (an entry's description)."""
    return i < len(lines) and lines[i].startswith((" ", "\t")) and bool(lines[i].strip())


def short_entries(text: str) -> str:
    """Numpy section entries written ``name : description`` on one line, moved to the description.

    numpydoc reads ``name : text`` as name and *type*; some docstrings put a short
    description there instead (``epochs : passes over the data``), which would show up in
    the Type column. A parameter with no indented description below it, or any entry whose
    "type" reads as prose, becomes ``name`` plus an indented description; the type then
    comes from the signature's annotation. Grouped names (``shuffle, seed : …``) become
    one entry each, so that each shows its own annotation and default. A free paragraph
    written inside a section moves to a "Notes" section at the end.
    """
    lines = text.splitlines()
    out, notes, section, parameters, i = [], [], False, False, 0
    while i < len(lines):
        line = lines[i]
        if SECTION.match(line) and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            section, parameters = True, "Parameters" in line
        elif (section and line and not line[0].isspace() and not ENTRY.match(line)
              and not set(line.strip()) <= {"-"} and not _indented(lines, i + 1)
              and not (i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"})):
            # a paragraph inside a section (numpydoc would read each line as an entry):
            # moved to a Notes section at the end
            j = i
            while j < len(lines) and lines[j].strip() and not ENTRY.match(lines[j]):
                j += 1
            notes.append(" ".join(l.strip() for l in lines[i:j]))
            i = j
            continue
        match = ENTRY.match(line) if section else None
        if not match:
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith((" ", "\t")) and lines[j].strip():
            j += 1
        body = lines[i + 1 : j]
        names = [n.strip() for n in match["names"].split(",")]
        if (parameters and not body) or _looks_like_prose(match["text"]):
            heads, body = names, ["    " + match["text"], *body]
        else:
            heads = [f"{n} : {match['text']}" for n in names]
        for head in heads:
            out.extend([head, *body])
        i = j
    if notes:
        out.extend(["", "Notes", "-----", *[p for note in notes for p in (note, "")]])
    return "\n".join(out).rstrip() + ("\n" if text.endswith("\n") else "")


def convert(text: str) -> str:
    """The docstring with roles as inline code, reST simple tables fenced, short entries fixed."""
    text = short_entries(ROLE.sub(_role, text))
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
