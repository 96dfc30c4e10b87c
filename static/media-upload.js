// Upload progress for the media library: htmx reports the request body's progress; show it in the form's
// <progress>. Loaded from a file because the Content-Security-Policy forbids inline scripts.
(function () {
  if (window.stimmeMediaUpload) return;   // hx-boost re-runs scripts on each page swap
  window.stimmeMediaUpload = true;
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target && evt.target.closest ? evt.target.closest("form[data-upload]") : null;
    if (!form || !evt.detail.lengthComputable) return;
    var bar = form.querySelector("progress");
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.round(evt.detail.loaded / evt.detail.total * 100);
  });
})();
