// The book's accessibility touches on top of sphinx-book-theme and the widget manager (make site bundles it).
// 1. A control's accessible name must contain the text it shows (WCAG 2.5.3, axe label-content-name-mismatch):
//    the theme's search buttons and myst-nb's "Show code cell source" toggles carry an aria-label other than
//    their visible text, so let their visible text name them; icons inside labelled buttons are decoration.
// 2. ipywidgets' slider handles (role="slider") have no accessible name (WCAG 4.1.2, aria-input-field-name):
//    name each from the number box that precedes it in the course's explorers, else from its widget's label
//    or tooltip. Widget views are drawn after the page loads, so this runs again whenever the page changes.
(function () {
  function nameFromText() {
    document.querySelectorAll("summary[aria-label], .search-button__button[aria-label]").forEach(function (el) {
      el.removeAttribute("aria-label");
    });
    // Font Awesome may swap each <i> for an <svg> (with a title) after loading: hide both kinds.
    var icons = "button[aria-label] i, button[aria-label] svg, button[aria-label] span[class*='fa-']";
    document.querySelectorAll(icons).forEach(function (icon) {
      if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("title");
    });
  }
  function sliderName(handle) {
    var slider = handle.closest(".widget-slider");
    if (!slider) return "";
    var own = slider.querySelector(".widget-label");
    if (own && own.textContent.trim()) return own.textContent.trim();
    var row = slider.parentElement, before = slider.previousElementSibling;
    var label = before && before.querySelector(".widget-label");
    if (row && label && label.textContent.trim()) return label.textContent.trim();
    return slider.getAttribute("title") || "";
  }
  function nameSliders() {
    document.querySelectorAll(".noUi-handle[role='slider']:not([aria-label])").forEach(function (handle) {
      var name = sliderName(handle);
      if (name) handle.setAttribute("aria-label", name);
    });
  }
  function fix() {
    nameFromText();
    nameSliders();
  }
  function start() {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
