// anesqc evidence uploads: drag-and-drop and upload progress. Progressive enhancement only:
// without this script the plain multipart form still uploads. Safe to load more than once.
(() => {
  if (window.anesqcEvidence) return;
  window.anesqcEvidence = true;
  document.documentElement.classList.add("evidence-js"); // shows the drag-and-drop hint

  const zoneOf = (event) => event.target instanceof Element && event.target.closest("[data-evidence-drop]");
  const carriesFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");

  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (event) => {
      const zone = zoneOf(event);
      if (!zone || !carriesFiles(event)) return;
      event.preventDefault(); // allow dropping here instead of the browser opening the file
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    });
  }
  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
  });
  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event);
    if (!zone || !carriesFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("is-dragover");
    const input = zone.querySelector('input[type="file"]');
    const form = zone.closest("form");
    if (!input || !form || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    // requestSubmit fires "submit", which htmx intercepts; without htmx the browser posts the form.
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  // htmx reports upload progress on the form that sent the request.
  document.addEventListener("htmx:xhr:loadstart", (event) => {
    const bar = event.target.closest && event.target.closest(".evidence-upload")?.querySelector(".evidence-progress");
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
  });
  document.addEventListener("htmx:xhr:progress", (event) => {
    const bar = event.target.closest && event.target.closest(".evidence-upload")?.querySelector(".evidence-progress");
    const { lengthComputable, loaded, total } = event.detail;
    if (bar && lengthComputable && total > 0) bar.value = Math.round((loaded / total) * 100);
  });
  // A failed request leaves the form in place (nothing is swapped): hide the stale bar and say at the upload
  // control what happened. Listening while the event travels down (capture) and stopping it there keeps
  // it from the rating's handlers in app.js, which would mark the criterion's rating as not saved. An
  // expired session (401) goes on to app.js, which sends the user to sign in.
  const uploadFailed = (event) => {
    const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".evidence-upload");
    if (!form) return;
    const xhr = event.detail.xhr;
    if (event.type === "htmx:responseError" && xhr && xhr.status === 401) return;
    event.stopPropagation();
    const bar = form.querySelector(".evidence-progress");
    if (bar) bar.hidden = true;
    // Every picker of the form (the inspectors' has a camera and a file chooser).
    const files = Array.from(form.querySelectorAll('input[type="file"]'))
      .flatMap((input) => Array.from(input.files || []))
      .map((file) => `“${file.name}”`)
      .join("、");
    // Without a network, offline.js keeps the files on this device and uploads them once it is back.
    const kept = event.type === "htmx:sendError" && form.hasAttribute("data-offline-upload") && window.anesqcOffline;
    const text =
      event.type === "htmx:sendError"
        ? (kept && form.dataset.keptText) || form.dataset.offlineText
        : xhr && xhr.status === 413
          ? form.dataset.tooLargeText
          : form.dataset.errorText;
    const alert = form.querySelector(".evidence-upload-error");
    if (alert && text) {
      alert.textContent = text.replace("{files}", files || "");
      alert.hidden = false;
    }
  };
  for (const type of ["htmx:responseError", "htmx:sendError"]) document.addEventListener(type, uploadFailed, true);
  // A new attempt clears the last failure's message.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".evidence-upload");
    const alert = form && form.querySelector(".evidence-upload-error");
    if (alert) alert.hidden = true;
  });
})();
