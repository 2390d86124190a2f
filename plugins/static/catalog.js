// The site's only script (no inline scripts: docs/security.md). Menus built from
// <details> work without it; with it, an open menu closes on Escape or a click elsewhere.
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll("details.ct-staff-menu[open]").forEach(function (d) {
      if (d !== except) { d.open = false; }
    });
  }
  document.addEventListener("click", function (ev) {
    closeAll(ev.target.closest ? ev.target.closest("details.ct-staff-menu") : null);
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var open = document.querySelector("details.ct-staff-menu[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  // The search filters come first on a phone, folded; on a wide screen they stay open.
  if (window.matchMedia && window.matchMedia("(min-width: 60rem)").matches) {
    document.querySelectorAll("details.ct-filter-panel").forEach(function (d) { d.open = true; });
  }

  // A table wider than its box says so (its cue) exactly when it is; without the script
  // the cue follows the screen's width (catalog.css).
  function cueScrolling() {
    document.querySelectorAll(".ct-scroll-x[aria-describedby]").forEach(function (wrap) {
      var cue = document.getElementById(wrap.getAttribute("aria-describedby"));
      if (!cue) { return; }
      var wide = wrap.scrollWidth > wrap.clientWidth + 1;
      cue.classList.toggle("ct-cue-on", wide);
      cue.classList.toggle("ct-cue-off", !wide);
    });
  }
  window.addEventListener("load", cueScrolling);
  window.addEventListener("resize", cueScrolling);
  document.addEventListener("toggle", cueScrolling, true);  // a table unfolded

  // Datasette's SQL editor (CodeMirror, set up on load) types into a textarea of its own:
  // give it the words of the label of the textarea it replaces.
  window.addEventListener("load", function () {
    document.querySelectorAll(".CodeMirror textarea").forEach(function (input) {
      if (!input.hasAttribute("aria-label")) {
        input.setAttribute("aria-label", "SQL query");
      }
    });
  });
})();
