"""The site's typeset math works offline, and no stray '#123' becomes a heading."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_math_assets_are_shipped_and_referenced_locally():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "pymdownx.arithmatex" in config and "generic: true" in config
    scripts = re.findall(r"^\s+- (javascripts/\S+\.js)$", config, re.M)
    styles = re.findall(r"^\s+- (\S+\.css)$", config, re.M)
    assert "javascripts/katex/katex.min.js" in scripts and "javascripts/katex/katex.min.css" in styles
    for asset in scripts + styles:
        assert (DOCS / asset).is_file(), asset
    assert "http://" not in config and "https://" not in config.split("extra_javascript:")[1].split("markdown_extensions")[0]
    css = (DOCS / "javascripts" / "katex" / "katex.min.css").read_text(encoding="utf-8")
    woff2 = set(re.findall(r"fonts/(KaTeX_[\w-]+\.woff2)", css))
    assert woff2 and all((DOCS / "javascripts" / "katex" / "fonts" / f).is_file() for f in woff2)
    assert "MIT License" in (DOCS / "javascripts" / "katex" / "LICENSE").read_text(encoding="utf-8")


def test_no_line_of_text_starts_with_a_hash_and_a_number():
    for page in DOCS.rglob("*.md"):
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        bad = [line for line in text.splitlines() if re.match(r"#\d", line)]
        assert not bad, f"{page}: {bad} would render as a heading"


def test_line_by_line_shows_the_reference_first_then_the_engine():
    page = (DOCS / "line-by-line.md").read_text(encoding="utf-8")
    reference = page.index("## The equations in plain numpy: `backprop.reference`")
    engine = page.index("## The fast engine: `backprop.core`")
    assert reference < engine
    for function in ("L_model_forward", "compute_cost", "L_model_backward", "linear_activation_backward",
                     "linear_backward", "update_parameters"):
        assert f"<!-- quote src/backprop/reference.py {function} -->" in page[reference:engine]
    assert page[reference:engine].count("$$") >= 8  # the equations, typeset
    assert "the seed" not in page[:engine].lower()
