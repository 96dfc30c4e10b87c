// The console's own behaviour on every page (loaded from a file: the Content-Security-Policy forbids inline
// scripts). Everything here only improves a page that works without it.
(function () {
  if (window.stimmeConsole) return;   // hx-boost runs scripts again on each page swap
  window.stimmeConsole = true;

  // A table wider than a phone scrolls inside its own box (static/console.css); such a box gets keyboard focus
  // so that it can be scrolled without a mouse, and a name for screen readers.
  function scrollableTables(root) {
    var tables = (root.querySelectorAll ? root : document).querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.scrollWidth > t.clientWidth + 1) {
        t.tabIndex = 0;
        if (!t.hasAttribute("aria-label") && !t.querySelector("caption")) {
          var heading = t.closest("section, article, main").querySelector("h1, h2, h3");
          if (heading) t.setAttribute("aria-label", heading.textContent.trim());
        }
      } else if (t.getAttribute("tabindex") === "0") {
        t.removeAttribute("tabindex");
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { scrollableTables(document); });
  document.addEventListener("htmx:load", function (evt) { scrollableTables(document); });
  window.addEventListener("resize", function () { scrollableTables(document); });
})();
