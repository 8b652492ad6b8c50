// anesqc: progressive enhancement only; every form also works without JavaScript.
document.addEventListener("htmx:responseError", (event) => {
  const target = event.detail.target;
  const state = target && target.querySelector && target.querySelector(".save-state");
  if (state) {
    state.textContent = state.dataset.failedText || "保存失败，请重试";
    state.className = "save-state failed";
  }
});
document.addEventListener("htmx:sendError", (event) => {
  const elt = event.detail.elt;
  const box = elt && elt.closest && elt.closest(".criterion");
  const state = box && box.querySelector(".save-state");
  if (state) {
    state.textContent = state.dataset.offlineText || "网络连接失败，未保存；恢复后将自动重试";
    state.className = "save-state failed";
    // Retry once the network is back, so no answer is lost.
    window.addEventListener("online", () => htmx.trigger(elt.closest("form"), "submit"), { once: true });
  }
});
