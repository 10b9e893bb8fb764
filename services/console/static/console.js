// Live panels say when they are stale: a refresh that fails (the console or a service behind
// it not answering) leaves the old content in place, so the panel shows its note and a
// mark until a refresh succeeds again.
(function () {
  function mark(elt, stale) {
    var panel = elt && elt.closest ? elt.closest("[hx-trigger^='every']") : null;
    if (!panel) return;
    panel.toggleAttribute("data-stale", stale);
    var note = panel.querySelector("[data-stale-note]");
    if (note) note.hidden = !stale;
  }
  document.addEventListener("htmx:responseError", function (e) { mark(e.detail.elt, true); });
  document.addEventListener("htmx:sendError", function (e) { mark(e.detail.elt, true); });
  document.addEventListener("htmx:timeout", function (e) { mark(e.detail.elt, true); });
})();
