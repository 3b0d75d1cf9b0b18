"""The documentation: quoted code matches the source, code samples run, the strict build passes.

- Every ``<!-- quote … -->`` directive of every page resolves against the current
  source (the build hook does the same and fails the build otherwise), and the
  statements the line-by-line page names for each equation are in the quoted function.
- Every ```` ```python ```` block of the guide pages runs: the blocks of one page in
  order, in one namespace, from a temporary directory. Blocks fenced as ```` ```py ````
  are shown but not run: they document APIs that other branches are still writing
  (the CLI, model files, the scikit-learn estimators, MPI).
- ``mkdocs build --strict`` succeeds, when MkDocs and its plugins are installed
  (``pip install ".[docs]"``); skipped otherwise.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)


def _load_hook(name):
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", DOCS / "_hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


quotes = _load_hook("code_quotes")


def page_id(path):
    return str(path.relative_to(DOCS))


# ------------------------------------------------------------------ quoted source
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_quote_resolves(page):
    quotes.quotes_in(page.read_text(encoding="utf-8"), root=str(ROOT))


# The statements the line-by-line page names for each equation. Each must still be a line
# of Network.backward_columns (or the function given), and the page must still name it.
EQUATION_LINES = {
    ("src/backprop/core/network.py", "Engine.backward_columns"): [
        "dW, db = self._gradient_views(grad)",                                 # views into the flat gradient
        "self.loss.fused_output_error(A[L], Y, coef, out=dZ[L])",              # 1, canonical pair
        "dA_L = self.loss.gradient(A[L], Y, coef, out=cache.dA[L])",           # 1, general
        "g[L - 1].backward(dA_L, Z[L], G[L], out=dZ[L])",                      # 1, general
        "np.matmul(dZ[l], A[l - 1].T, out=dW[l - 1])",                         # 2 and 4
        "np.matmul(dZ[l], cache.ones, out=db[l - 1])",                          # 2 and 4
        "dA = np.matmul(W[l - 1].T, dZ[l], out=cache.dA[l - 1])",              # 3
        "dA *= cache.mask[l - 1]",                                             # 3, dropout
        "g[l - 2].backward(dA, Z[l - 1], G[l - 1], out=dZ[l - 1])",            # 3
    ],
    ("src/backprop/core/network.py", "Engine.forward_columns"): [
        "np.matmul(W[l - 1], cache.A[l - 1], out=cache.Z[l])",
        "Z += b[l - 1]",
    ],
    ("src/backprop/core/losses.py", "Loss.fused_output_error"): ["out *= coef"],
    ("src/backprop/core/network.py", "Engine.__init__"): ["self.fused_output = self.loss.canonical_activation == output.name"],
}


@pytest.mark.parametrize("where", list(EQUATION_LINES), ids=lambda w: w[1])
def test_line_by_line_names_lines_that_exist(where):
    page = (DOCS / "line-by-line.md").read_text(encoding="utf-8")
    source = quotes.resolve(*where, root=str(ROOT)).text
    for statement in EQUATION_LINES[where]:
        assert statement in source, f"{where[1]} no longer contains {statement!r}: update line-by-line.md"
        if where[1] != "Engine.__init__":  # quoted whole, not named in the prose
            assert statement in page, f"line-by-line.md no longer names {statement!r}"


def test_line_by_line_quotes_the_whole_backward_pass():
    page = (DOCS / "line-by-line.md").read_text(encoding="utf-8")
    resolved = quotes.quotes_in(page, root=str(ROOT))
    whole = [q for q in resolved if q.qualname == "Engine.backward_columns" and q.lines[0].lstrip().startswith("def ")]
    assert whole and whole[0].text.rstrip().endswith("return grad")
    # one block per equation at least, and a few from losses/activations
    assert len(resolved) >= 12
    assert {q.path for q in resolved} >= {"src/backprop/core/network.py", "src/backprop/core/losses.py",
                                          "src/backprop/core/activations.py"}
    rendered = quotes.render(page, root=str(ROOT))
    assert "<!-- quote" not in rendered
    first = whole[0]
    assert f'linenums="{first.first}"' in rendered


def test_a_quote_that_no_longer_matches_fails(tmp_path):
    (tmp_path / "m.py").write_text("class A:\n    def f(self):\n        x = 1\n        y = 2\n        x = 3\n        return x + y\n")
    q = quotes.resolve("m.py", "A.f", start="y = 2", end="return", root=str(tmp_path))
    assert (q.first, q.last, q.lines[0].strip()) == (4, 6, "y = 2")
    with pytest.raises(quotes.QuoteError, match="no 'A.g'"):
        quotes.resolve("m.py", "A.g", root=str(tmp_path))
    with pytest.raises(quotes.QuoteError, match="on 2 lines"):
        quotes.resolve("m.py", "A.f", start="x = ", root=str(tmp_path))
    with pytest.raises(quotes.QuoteError, match="not found"):
        quotes.resolve("m.py", "A.f", start="y = 2", end="z = 4", root=str(tmp_path))
    with pytest.raises(quotes.QuoteError, match="cannot read"):
        quotes.resolve("gone.py", root=str(tmp_path))
    with pytest.raises(quotes.QuoteError):
        quotes.render('<!-- quote m.py A.f start="nothing like this" -->', root=str(tmp_path))


def test_include_optional_falls_back_and_neutralises_links(tmp_path):
    text = "<!-- include-optional bench/RESULTS.md -->"
    assert "Not measured yet" in quotes.render(text, root=str(tmp_path))
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "RESULTS.md").write_text("# Results\n\nSee [the runner](run.py) or [docs](https://x.org).\n")
    rendered = quotes.render(text, root=str(tmp_path))
    assert rendered.startswith("## Results") and "the runner (`bench/run.py`)" in rendered
    assert "[docs](https://x.org)" in rendered


# ------------------------------------------------------------------ names the guide must cover
def test_choosing_page_covers_every_registered_name():
    import backprop as bp
    from backprop.optim import OPTIMIZERS, SCHEDULES

    page = (DOCS / "guide" / "choosing.md").read_text(encoding="utf-8")
    names = [*bp.ACTIVATIONS, *bp.LOSSES, *bp.INITIALIZERS, *OPTIMIZERS, "lbfgs", *SCHEDULES]
    missing = [n for n in names if f"`{n}`" not in page]
    assert not missing, f"guide/choosing.md does not mention {missing}"


# ------------------------------------------------------------------ code samples run
def python_blocks(text):
    return re.findall(r"^```python[^\n]*\n(.*?)^```", text, re.S | re.M)


RUNNABLE = [p for p in PAGES if "reference" not in p.parts and python_blocks(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_python_samples_run(page, tmp_path, monkeypatch, capsys):
    if "matplotlib" in page.read_text(encoding="utf-8"):
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import backprop as bp

    registered = dict(bp.ACTIVATIONS)  # samples register activations: leave the registry as found
    namespace = {"__name__": "__docs__"}
    try:
        for i, block in enumerate(python_blocks(page.read_text(encoding="utf-8"))):
            try:
                exec(compile(block, f"{page_id(page)}[block {i}]", "exec"), namespace)
            except Exception as exc:  # name the block in the failure
                pytest.fail(f"{page_id(page)}, python block {i} raised {type(exc).__name__}: {exc}\n{block}")
    finally:
        bp.ACTIVATIONS.clear()
        bp.ACTIVATIONS.update(registered)


# ------------------------------------------------------------------ the commands of the CLI page run
def cli_commands(text):
    """Every ``backprop …`` line of the page's bash blocks, comments removed, in order."""
    commands = []
    for block in re.findall(r"^```bash[^\n]*\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "backprop":
                commands.append(words[1:])
    return commands


def test_cli_page_commands_run(tmp_path):
    page = (DOCS / "guide" / "cli.md").read_text(encoding="utf-8")
    commands = cli_commands(page)
    assert len(commands) >= 8
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), *sys.path]), MPLBACKEND="Agg")
    for words in commands:
        result = subprocess.run([sys.executable, "-m", "backprop", *words], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"backprop {shlex.join(words)}\n{result.stdout}\n{result.stderr}"
    if {"spirals.npz", "resumed.npz"} <= {p.name for p in tmp_path.iterdir()}:
        import backprop as bp

        # the page says a resumed run ends at the same weights, bit for bit
        assert np.array_equal(bp.load(tmp_path / "spirals.npz").params, bp.load(tmp_path / "resumed.npz").params)


# ------------------------------------------------------------------ the strict build
def _have(*modules):
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.mark.skipif(not _have("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"),
                    reason='MkDocs is not installed (pip install ".[docs]")')
def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                             "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "line-by-line" / "index.html").read_text(encoding="utf-8")
    assert "fused_output_error" in page and "<!-- quote" not in page
    api = (site / "reference" / "core" / "index.html").read_text(encoding="utf-8")
    assert "backward_columns" in api and "check_gradients" in api
    assert (site / "distributed" / "index.html").exists()


def test_docstring_conversion_for_the_api_reference():
    pytest.importorskip("griffe")
    rst = _load_hook("rst_roles")
    text = ("See :class:`~backprop.core.Network` and :func:`check_gradients`.\n\n"
            "====  ====\nname  rule\n====  ====\nsgd   θ ← θ − α g\n====  ====\n\n"
            "Parameters\n----------\nepochs : passes over the data\n"
            "shuffle, seed : reshuffle every epoch, from a generator seeded by ``seed``\n"
            "dtype : numpy float32 or float64\n    Every buffer has this dtype.\n")
    out = rst.convert(text)
    assert "See `Network` and `check_gradients`." in out
    assert "```text\n====  ====\nname  rule" in out and out.count("```") == 2
    assert "epochs\n    passes over the data" in out
    assert "shuffle\n    reshuffle" in out and "seed\n    reshuffle" in out
    assert "dtype : numpy float32 or float64\n    Every buffer has this dtype." in out
    assert rst.convert(out) == out  # idempotent: objects reached twice are not converted twice
    stray = ("Parameters\n----------\nverbose : int\n    1 prints.\n\nA free paragraph\nover two lines.\n"
             "l2 : float\n    The penalty.\n\nRaises\n------\nDivergenceError\n    when it diverges.\n")
    out = rst.convert(stray)
    assert "l2 : float\n    The penalty." in out and "DivergenceError\n    when it diverges." in out
    assert out.rstrip().endswith("Notes\n-----\nA free paragraph over two lines.")
