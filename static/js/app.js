// anesqc: progressive enhancement only; every form also works without JavaScript.
(() => {
  const PENDING = "anesqc:pending";
  // Kept answers are replayed only for the user who typed them, and only for as long as a session may last.
  const PENDING_MAX_AGE_MS = 12 * 60 * 60 * 1000;
  let signingIn = false; // the answer is kept: leaving for the login page loses nothing
  const currentUser = () => document.body && document.body.dataset.user;

  const readPending = () => {
    try { return JSON.parse(localStorage.getItem(PENDING) || "{}"); } catch { return {}; }
  };
  const writePending = (pending) => localStorage.setItem(PENDING, JSON.stringify(pending));

  const stateOf = (elt) => {
    const box = elt && elt.closest && elt.closest(".criterion");
    return box && box.querySelector(".save-state");
  };

  // Keep what the user answered when the session has expired, then go and sign in.
  const keepAndSignIn = (form) => {
    const pending = readPending();
    if (form) {
      const data = {};
      new FormData(form).forEach((value, key) => {
        if (key !== "csrfmiddlewaretoken" && typeof value === "string") data[key] = value;
      });
      pending[form.getAttribute("hx-post")] = { page: location.pathname, data, at: Date.now(), user: currentUser() };
      writePending(pending);
    }
    const card = form && form.closest(".criterion");
    const next = location.pathname + location.search + (card ? "#" + card.id : "");
    signingIn = true;
    location.href = "/accounts/login/?expired=1&next=" + encodeURIComponent(next);
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
    const elt = event.detail.elt;
    const state = stateOf(elt);
    if (state) {
      state.textContent = state.dataset.offlineText || "网络连接失败，未保存；恢复后将自动重试";
      state.className = "save-state failed";
      // Retry once the network is back, so no answer is lost.
      window.addEventListener("online", () => htmx.trigger(elt.closest("form"), "submit"), { once: true });
    }
  });

  // Back from signing in: replay the answers kept for this page. The version the user
  // had loaded travels with them, so a change made meanwhile shows as a conflict.
  const replay = () => {
    const pending = readPending();
    const user = currentUser();
    let changed = false;
    for (const [url, item] of Object.entries(pending)) {
      // Another user's answers (a shared tablet), and stale ones, are dropped unseen, never replayed.
      if (!item || !item.user || !user || Date.now() - (item.at || 0) > PENDING_MAX_AGE_MS) {
        if (user) { delete pending[url]; changed = true; }
        continue;
      }
      if (item.user !== user) { delete pending[url]; changed = true; continue; }
      if (item.page !== location.pathname) continue;
      const form = document.querySelector(`form[hx-post="${CSS.escape(url)}"]`);
      if (!form) continue;
      for (const [name, value] of Object.entries(item.data)) {
        // form.elements: a field may belong to the form from outside it (the workspace's remark, form="…").
        const fields = Array.from(form.elements).filter((field) => field.name === name);
        fields.forEach((field) => {
          if (field.type === "radio") field.checked = field.value === value;
          else field.value = value;
        });
        if (!fields.length) {
          // The field is not on the page now (a remark in details not loaded yet): it travels hidden, not lost.
          const hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = name;
          hidden.value = value;
          form.appendChild(hidden);
        }
      }
      delete pending[url];
      changed = true;
      const state = stateOf(form);
      if (state) state.textContent = state.dataset.restoredText || "已恢复登录前未保存的修改，正在保存…";
      htmx.trigger(form, "submit");
    }
    if (changed) writePending(pending);
  };
  document.addEventListener("DOMContentLoaded", () => setTimeout(replay, 0));

  // Signing out forgets every kept answer: the next person on this browser must not inherit them.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches && form.matches("form[data-logout]")) localStorage.removeItem(PENDING);
  });

  // No lost work on navigation: a criterion typed into but not yet saved is saved at once
  // when the page is left, and the browser asks before leaving while a save is under way.
  const dirty = new Set();
  let inFlight = 0;
  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (form && form.matches("form[hx-post]")) dirty.add(form);
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    dirty.delete(event.detail.elt.closest("form") || event.detail.elt);
    inFlight += 1;
  });
  document.addEventListener("htmx:afterRequest", () => { inFlight = Math.max(0, inFlight - 1); });
  window.addEventListener("beforeunload", (event) => {
    if (signingIn) return;
    dirty.forEach((form) => { if (document.body.contains(form)) htmx.trigger(form, "submit"); });
    if (dirty.size || inFlight) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
