// Typeset the \( … \) and \[ … \] spans that pymdownx.arithmatex (generic mode) leaves in the page,
// with the KaTeX shipped in docs/javascripts/katex (no CDN). Re-run on Material's instant navigation.
function typeset() {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(typeset);
} else {
  document.addEventListener("DOMContentLoaded", typeset);
}
