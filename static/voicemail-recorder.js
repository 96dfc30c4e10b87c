// Records a personal greeting in the browser and sends it as a 16-bit PCM WAV through the same form as an
// upload (the server converts it with the media pipeline). Without JavaScript or a microphone the upload form
// alone is shown.
(function () {
  "use strict";
  var box = document.getElementById("greeting-recorder");
  var form = document.getElementById("greeting-form");
  if (!box || !form || !navigator.mediaDevices || !window.AudioContext) { return; }
  box.hidden = false;
  var start = box.querySelector("[data-action=start]");
  var stop = box.querySelector("[data-action=stop]");
  var context, stream, node, chunks = [], limit;

  function wav(samples, rate) {
    var buffer = new ArrayBuffer(44 + samples.length * 2), view = new DataView(buffer);
    function text(offset, s) { for (var i = 0; i < s.length; i++) { view.setUint8(offset + i, s.charCodeAt(i)); } }
    text(0, "RIFF"); view.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE"); text(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, samples.length * 2, true);
    for (var i = 0; i < samples.length; i++) {
      var s = Math.max(-1, Math.min(1, samples[i]));
      view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([buffer], { type: "audio/wav" });
  }

  function finish() {
    clearTimeout(limit);
    if (!context) { return; }
    node.disconnect();
    stream.getTracks().forEach(function (t) { t.stop(); });
    var length = chunks.reduce(function (n, c) { return n + c.length; }, 0), all = new Float32Array(length), at = 0;
    chunks.forEach(function (c) { all.set(c, at); at += c.length; });
    var data = new FormData(form);
    data.set("file", wav(all, context.sampleRate), "greeting.wav");
    context.close(); context = null; chunks = [];
    start.disabled = false; stop.disabled = true;
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function () { window.location.reload(); });
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (s) {
      stream = s; context = new AudioContext();
      var source = context.createMediaStreamSource(stream);
      node = context.createScriptProcessor(4096, 1, 1);
      node.onaudioprocess = function (e) { chunks.push(new Float32Array(e.inputBuffer.getChannelData(0))); };
      source.connect(node); node.connect(context.destination);
      start.disabled = true; stop.disabled = false;
      limit = setTimeout(finish, 120000);
    });
  });
  stop.addEventListener("click", finish);
}());
