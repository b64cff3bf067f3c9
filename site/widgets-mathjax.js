// ipywidgets' views typeset their labels with MathJax 2's call, MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]);
// the book bundles MathJax 3, which has no Hub. Give whatever window.MathJax becomes (the config object first,
// then MathJax itself) a Hub whose Queue typesets the element with MathJax 3 once MathJax is ready.
(function () {
  var current = window.MathJax;
  function typeset(element, tries) {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise && mathjax.typesetPromise) {
      mathjax.startup.promise.then(function () { return mathjax.typesetPromise([element]); });
    } else if (tries > 0) {
      setTimeout(function () { typeset(element, tries - 1); }, 100);
    }
  }
  var hub = { Queue: function (command) { if (Array.isArray(command) && command[2]) typeset(command[2], 100); } };
  function attach(value) {
    if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
    return value;
  }
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = attach(value); },
  });
  attach(current);
})();
