"""MkDocs hook: quote the library's real source lines into a page, so the page cannot drift.

A line of Markdown of the form

    <!-- quote src/backprop/core/network.py Engine.backward_columns start="# 1." end="out=dZ[L])" -->

is replaced by a fenced code block holding those lines of the file, numbered with
their real line numbers and titled with the file and the object:

- the first word is a path relative to the repository root;
- the second, optional, is a dotted qualified name (``Class.method``, ``function``)
  found with :mod:`ast`; without it the whole file is the region;
- ``start="…"``: the quote begins at the one line of the region containing this text
  (it must occur on exactly one line of the region);
- ``end="…"``: the quote ends at the first line, from the start on, containing this text;
  without ``start``/``end`` the whole region is quoted.

A directive that no longer resolves (file, object or text gone, or the start text now
ambiguous) fails the build: the page has to be looked at again. The same functions are
used by ``tests/docs/test_docs.py`` without MkDocs.

A second directive, ``<!-- include-optional benchmarks/RESULTS.md -->``, inlines a
Markdown file of the repository when it exists (headings moved one level down,
relative links turned into plain text so the strict build does not follow them) and
an admonition saying it has not been written yet when it does not.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import textwrap
from dataclasses import dataclass

QUOTE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*quote\s+(?P<args>.*?)\s*-->[ \t]*$", re.MULTILINE)
INCLUDE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*include-optional\s+(?P<path>\S+)\s*-->[ \t]*$", re.MULTILINE)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class QuoteError(Exception):
    """A directive that does not resolve against the current source."""


@dataclass(frozen=True)
class Quote:
    """The resolved lines: ``lines[0]`` is line ``first`` (1-based) of ``path``."""

    path: str
    qualname: str | None
    first: int
    lines: tuple[str, ...]

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def markdown(self, indent: str = "") -> str:
        code = textwrap.dedent(self.text)
        title = self.path + (f" · {self.qualname}" if self.qualname else "") + f" · lines {self.first}–{self.last}"
        fence = [f'```python linenums="{self.first}" title="{title}"', *code.splitlines(), "```"]
        return "\n".join(indent + line if line else line for line in fence)


def parse_directive(args: str) -> tuple[str, str | None, dict[str, str]]:
    """(path, qualname or None, options) from the text after ``quote``."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise QuoteError(f"quote {args!r}: {exc}") from None
    positional = [w for w in words if "=" not in w]
    options = dict(w.split("=", 1) for w in words if "=" in w)
    unknown = set(options) - {"start", "end"}
    if not positional or len(positional) > 2 or unknown:
        raise QuoteError(f"quote {args!r}: expected PATH [QUALNAME] [start=TEXT] [end=TEXT]")
    return positional[0], (positional[1] if len(positional) == 2 else None), options


def _find(tree: ast.AST, qualname: str) -> ast.AST:
    node = tree
    for part in qualname.split("."):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and child.name == part:
                node = child
                break
        else:
            raise QuoteError(f"no {qualname!r} (missing {part!r})")
    return node


def resolve(path: str, qualname: str | None = None, start: str | None = None, end: str | None = None,
            root: str = ROOT) -> Quote:
    """The lines a quote directive stands for, or :class:`QuoteError`."""
    where = f"{path}" + (f" {qualname}" if qualname else "")
    try:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            source = f.read()
    except OSError as exc:
        raise QuoteError(f"quote {where}: cannot read the file ({exc.strerror})") from None
    all_lines = source.splitlines()
    lo, hi = 1, len(all_lines)
    if qualname:
        try:
            node = _find(ast.parse(source, filename=path), qualname)
        except QuoteError as exc:
            raise QuoteError(f"quote {where}: {exc}") from None
        lo = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        hi = node.end_lineno
    if start is not None:
        hits = [i for i in range(lo, hi + 1) if start in all_lines[i - 1]]
        if len(hits) != 1:
            raise QuoteError(f"quote {where}: start text {start!r} is on {len(hits)} lines, expected exactly 1")
        lo = hits[0]
    if end is not None:
        hits = [i for i in range(lo, hi + 1) if end in all_lines[i - 1]]
        if not hits:
            raise QuoteError(f"quote {where}: end text {end!r} not found after line {lo}")
        hi = hits[0]
    return Quote(path, qualname, lo, tuple(all_lines[lo - 1 : hi]))


def quotes_in(markdown: str, root: str = ROOT) -> list[Quote]:
    """Every quote directive of a page, resolved (raises on the first that does not resolve)."""
    out = []
    for match in QUOTE.finditer(markdown):
        path, qualname, options = parse_directive(match["args"])
        out.append(resolve(path, qualname, options.get("start"), options.get("end"), root))
    return out


def _demote(markdown: str, path: str) -> str:
    """Headings one level down; relative links to plain text (outside code fences)."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            if line.startswith("#"):
                line = "#" + line
            line = re.sub(r"\[([^\]]+)\]\((?![a-z][a-z0-9+.-]*:|#)([^)\s]+)\)",
                          lambda m: f"{m[1]} (`{os.path.normpath(os.path.join(os.path.dirname(path), m[2]))}`)",
                          line)
        out.append(line)
    return "\n".join(out)


def render(markdown: str, root: str = ROOT) -> str:
    """The page with every directive replaced."""

    def quote(match: re.Match) -> str:
        path, qualname, options = parse_directive(match["args"])
        return resolve(path, qualname, options.get("start"), options.get("end"), root).markdown(match["indent"])

    def include(match: re.Match) -> str:
        path = match["path"]
        full = os.path.join(root, path)
        if os.path.isfile(full):
            with open(full, encoding="utf-8") as f:
                return _demote(f.read(), path)
        return (f'{match["indent"]}!!! note "Not measured yet"\n'
                f"{match['indent']}    `{path}` does not exist in this checkout yet: the benchmark suite writes it.")

    return INCLUDE.sub(include, QUOTE.sub(quote, markdown))


# ------------------------------------------------------------------ the MkDocs event
def on_page_markdown(markdown, page, config, files, **kwargs):
    try:
        return render(markdown)
    except QuoteError as exc:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{page.file.src_uri}: {exc}") from None
