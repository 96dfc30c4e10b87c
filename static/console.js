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

  // hx-boost swaps only the <body>: take the new page's <html lang> too, so that a language chosen meanwhile
  // (in another tab, or by the switch) is the one screen readers and the browser's spell-checker use.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var found = xhr && /<html[^>]*\slang="([^"]+)"/i.exec(xhr.responseText || "");
    if (found) document.documentElement.lang = found[1];
  });

  // A form that sends a file disables its submit button while the upload runs (a second click would upload it
  // again). htmx forms get it back when the request ends; a plain submit leaves the page anyway.
  function uploadButtons(form) {
    if (!form || !form.querySelector || !form.querySelector("input[type=file]")) return [];
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }
  function setBusy(form, busy) {
    var buttons = uploadButtons(form);
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = busy;
      buttons[i].setAttribute("aria-busy", busy ? "true" : "false");   // Pico draws a spinner in it
    }
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    // after the event: a button disabled now would drop its name=value from what is sent
    if (uploadButtons(form).length) setTimeout(function () { setBusy(form, true); }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt && evt.detail.elt.closest ? evt.detail.elt.closest("form") : null;
    if (form && form.isConnected) setBusy(form, false);
  });
  window.addEventListener("pageshow", function () {   // back from the next page (bfcache): usable again
    var busy = document.querySelectorAll("button[aria-busy=true]");
    for (var i = 0; i < busy.length; i++) setBusy(busy[i].form, false);
  });
})();
