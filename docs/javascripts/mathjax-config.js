// MathJax 3, served from the site itself (assets/mathjax/, copied at build time): no network.
// pymdownx.arithmatex (generic) wraps the maths in \( \) and \[ \] inside class "arithmatex".
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    menuOptions: { settings: { assistiveMml: false } },
  },
  svg: { fontCache: "global" },
};

// Material's instant loading replaces the page body: typeset the new one.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(() => MathJax.typesetPromise());
    }
  });
}
