// anesqc: progressive enhancement only; every form also works without JavaScript.
(() => {
  // What could not be saved (no network, or the session expired) is kept in IndexedDB by offline.js, for the
  // user who typed it, and sent when the network is back or once they have signed in again.
  let signingIn = false; // the answer is kept: leaving for the login page loses nothing
  const offline = () => window.anesqcOffline;

  const stateOf = (elt) => {
    const box = elt && elt.closest && elt.closest(".criterion");
    return box && box.querySelector(".save-state");
  };

  // Keep what the user answered when the session has expired, then go and sign in.
  const keepAndSignIn = (form) => {
    const card = form && form.closest(".criterion");
    const next = location.pathname + location.search + (card ? "#" + card.id : "");
    signingIn = true;
    const kept = form && offline() ? offline().keep(form) : null;
    Promise.resolve(kept)
      .catch(() => undefined)
      .finally(() => {
        location.href = "/accounts/login/?expired=1&next=" + encodeURIComponent(next);
      });
  };

  document.addEventListener("htmx:responseError", (event) => {
    const { xhr, elt } = event.detail;
    if (xhr && xhr.status === 401) {
      keepAndSignIn(elt.closest("form"));
      return;
    }
    const state = stateOf(elt);
    if (state) {
      state.textContent = state.dataset.failedText || "保存失败，请重试";
      state.className = "save-state failed";
    }
  });

  // Choosing 基本达标 waits for its score before saving (the server would refuse it without one).
  // This was an hx-trigger filter, which htmx can only evaluate with eval; the CSP forbids eval.
  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    const trigger = event.detail.triggeringEvent;
    if (!form.hasAttribute || !form.hasAttribute("data-partial-needs-score")) return;
    if (!trigger || trigger.type !== "change" || !trigger.target || trigger.target.value !== "partial") return;
    const score = form.querySelector("[name=score]");
    if (score && !score.value) event.preventDefault();
  });

  // <select data-autosubmit> submits its form when changed (inline onchange handlers break the CSP).
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });

  document.addEventListener("htmx:sendError", (event) => {
    if (offline()) return; // offline.js keeps the answer and sends it when the network is back
    const state = stateOf(event.detail.elt);
    if (state) {
      state.textContent = state.dataset.offlineText || "网络连接失败，未保存；恢复后将自动重试";
      state.className = "save-state failed";
    }
  });

  // No lost work on navigation: a criterion typed into but not yet saved is saved at once
  // when the page is left, and the browser asks before leaving while a save is under way.
  const dirty = new Set();
  let inFlight = 0;
  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (form && form.matches("form[hx-post]")) dirty.add(form);
  });
  // Only writes count as a save under way: a GET (the bell, a criterion's details) is nothing to lose.
  const isWrite = (event) => ((event.detail.requestConfig && event.detail.requestConfig.verb) || "get") !== "get";
  document.addEventListener("htmx:beforeRequest", (event) => {
    dirty.delete(event.detail.elt.closest("form") || event.detail.elt);
    if (isWrite(event)) inFlight += 1;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (isWrite(event)) inFlight = Math.max(0, inFlight - 1);
  });
  // Kept on this device (offline.js) counts as not lost.
  document.addEventListener("anesqc:queued", (event) => dirty.delete(event.target));
  window.addEventListener("beforeunload", (event) => {
    if (signingIn) return;
    dirty.forEach((form) => { if (document.body.contains(form)) htmx.trigger(form, "submit"); });
    if (dirty.size || inFlight) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
