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
  // A failed request leaves the form in place (nothing is swapped): hide the stale bar.
  for (const type of ["htmx:responseError", "htmx:sendError"]) {
    document.addEventListener(type, (event) => {
      const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".evidence-upload");
      const bar = form && form.querySelector(".evidence-progress");
      if (bar) bar.hidden = true;
    });
  }
})();
