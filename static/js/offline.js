// anesqc offline: the service worker's registration, and a queue in IndexedDB of what was saved without a network.
// Progressive enhancement only. Without a network (or when a save could not reach the server) a criterion's rating,
// score and remark, and an evidence upload (the files themselves, as Blobs), are kept on this device, tagged with
// the signed-in user and an expiry. Back online, the user's own entries are sent in the order they were made, one
// per criterion, with the version the user had loaded, so a change made meanwhile by someone else comes back as the
// conflict the workspace shows online. Entries of another user are kept aside, never sent; signing out asks first
// when something is not yet sent, then forgets the user's entries and cached pages.
(() => {
  if (window.anesqcOffline) return;
  const DB_NAME = "anesqc-offline";
  const STORE = "queue";
  const TTL_MS = 7 * 24 * 60 * 60 * 1000; // what is not sent within a week is dropped
  const RETRY_MS = 5 * 1000; // navigator.onLine may say online while the network is still gone: try again
  const ASSESSMENT = /^\/assessments\/\d+\//;
  const PAGE_CACHES = ["anesqc-pages-", "anesqc-meta"];

  const me = () => (document.body && document.body.dataset.user) || "";
  const banner = () => document.getElementById("offline-banner");
  const text = (key, n) => ((banner() && banner().dataset[key]) || "").replace("{n}", String(n));
  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  };
  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  // --- IndexedDB ------------------------------------------------------------------------------------------
  let opened = null;
  const db = () =>
    opened ||
    (opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
  const done = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const store = async (mode) => (await db()).transaction(STORE, mode).objectStore(STORE);
  const all = async () => done((await store("readonly")).getAll()); // in the order they were made (key order)
  const put = async (entry) => done((await store("readwrite")).put(entry));
  const remove = async (id) => done((await store("readwrite")).delete(id));
  const live = (entry) => entry.expires > Date.now();
  const mine = (entries) => entries.filter((e) => e.user && e.user === me() && live(e));
  // Writes one after another, so two quick changes of one criterion make one entry.
  let chain = Promise.resolve();
  const serial = (work) => (chain = chain.catch(() => undefined).then(work));

  // --- the page -------------------------------------------------------------------------------------------
  const rowOf = (form) => form && form.closest(".criterion");
  const stateOf = (form) => rowOf(form)?.querySelector(".save-state");
  const say = (form, key, cls) => {
    const state = stateOf(form);
    if (!state) return;
    state.textContent = text(key, 0);
    state.className = `save-state ${cls}`;
  };
  const ratingForm = (entry) => document.querySelector(`form.crit-form[hx-post="${CSS.escape(entry.url)}"]`);
  const codeOf = (url) => {
    const match = /\/criteria\/([^/]+)\//.exec(url);
    return match ? decodeURIComponent(match[1]) : "";
  };
  const fieldsOf = (form) => {
    const data = {};
    // FormData(form) includes the fields that belong to it from outside (the remark in the details, form="…").
    new FormData(form).forEach((value, key) => {
      if (key !== "csrfmiddlewaretoken" && typeof value === "string") data[key] = value;
    });
    return data;
  };
  const fill = (form, data) => {
    for (const [name, value] of Object.entries(data)) {
      if (name === "version") continue; // the entry keeps the version first loaded; the page's stays as served
      const fields = Array.from(form.elements).filter((field) => field.name === name);
      fields
        .filter((field) => field !== document.activeElement) // not under the user's hands
        .forEach((field) => {
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
  };
  // The element an upload's answer replaces (its hx-target, e.g. "closest .evidence-block"), named by its id.
  const targetIdOf = (form) => {
    const spec = (form.getAttribute("hx-target") || "").trim();
    const target = spec.startsWith("closest ") ? form.closest(spec.slice(8)) : spec ? document.querySelector(spec) : form;
    return (target && target.id) || `evidence-${codeOf(form.getAttribute("hx-post") || form.action)}`;
  };
  const uploadTarget = (entry) => document.getElementById(entry.targetId || `evidence-${entry.code}`);
  const uploadNote = (entry) => {
    const block = uploadTarget(entry);
    if (!block || block.querySelector(`[data-offline-entry="${entry.clientKey}"]`)) return;
    const note = document.createElement("p");
    note.className = "offline-upload-pending muted";
    note.dataset.offlineEntry = entry.clientKey;
    note.textContent = text("uploadText", 0).replace("{files}", entry.files.map((f) => `“${f.name}”`).join("、"));
    const form = block.querySelector("form[data-offline-upload]");
    if (form) form.before(note);
    else block.append(note);
  };

  let pending = 0;
  let syncing = false;
  // navigator.onLine says whether there is a network interface, not whether the server answers: a request
  // that could not reach it also counts as offline, until one does.
  let unreachable = false;
  const isOffline = () => !navigator.onLine || unreachable;
  const refresh = async () => {
    pending = mine(await all()).length;
    const el = banner();
    if (!el) return;
    const key = isOffline() ? "offlineText" : syncing ? "syncingText" : pending ? "pendingText" : "";
    const message = key ? text(key, pending) : "";
    if (el.textContent !== message) el.textContent = message;
    el.classList.toggle("is-offline", isOffline());
  };

  // --- keeping ------------------------------------------------------------------------------------------
  const keepRating = (form) =>
    serial(async () => {
      const url = form.getAttribute("hx-post");
      const data = fieldsOf(form);
      const now = Date.now();
      const same = mine(await all()).find((e) => e.kind === "rating" && e.url === url);
      if (same) {
        // One entry per criterion: its latest values over the version first loaded, so that a change someone
        // else saved meanwhile still comes back as a conflict.
        await put({ ...same, data: { ...data, version: same.data.version ?? data.version }, at: now, expires: now + TTL_MS });
      } else {
        const entry = { kind: "rating", user: me(), url, code: codeOf(url), page: location.pathname, data };
        await put({ ...entry, at: now, expires: now + TTL_MS });
      }
      say(form, "queuedText", "queued");
      form.dispatchEvent(new CustomEvent("anesqc:queued", { bubbles: true }));
      await refresh();
    });

  const keepUpload = (form) =>
    serial(async () => {
      const input = form.querySelector('input[type="file"]');
      const chosen = Array.from((input && input.files) || []);
      if (!chosen.length) return;
      // Copied into IndexedDB now: a photo from the camera may be a temporary file.
      const files = await Promise.all(
        chosen.map(async (file) => ({
          name: file.name,
          blob: new Blob([await file.arrayBuffer()], { type: file.type || "application/octet-stream" }),
        })),
      );
      const url = form.getAttribute("hx-post") || form.action;
      const now = Date.now();
      const entry = {
        kind: "upload",
        user: me(),
        url,
        code: codeOf(url),
        targetId: targetIdOf(form),
        page: location.pathname,
        files,
        clientKey: uuid(),
      };
      await put({ ...entry, at: now, expires: now + TTL_MS });
      form.reset();
      uploadNote(entry);
      await refresh();
    });

  const keep = (form) => {
    if (!me() || !form) return null;
    if (form.matches("form.crit-form")) return keepRating(form);
    if (form.matches("form[data-offline-upload]")) return keepUpload(form);
    return null;
  };

  // Without a network the request is not even tried: the save is kept at once.
  document.addEventListener("htmx:confirm", (event) => {
    if (event.defaultPrevented || !isOffline()) return;
    const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (form && keep(form)) event.preventDefault();
  });
  // A request that could not reach the server (the network dropped unnoticed) is kept too. Capture: evidence.js
  // stops a failed upload's event on its way down.
  document.addEventListener(
    "htmx:sendError",
    (event) => {
      unreachable = true;
      const form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
      if (!form || !keep(form)) refresh();
    },
    true,
  );
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (unreachable && xhr && xhr.status > 0) {
      unreachable = false; // the server answers again
      refresh().then(sync);
    }
  });

  // --- sending --------------------------------------------------------------------------------------------
  const signIn = () => {
    location.href = `/accounts/login/?expired=1&next=${encodeURIComponent(location.pathname + location.search)}`;
  };
  const post = (url, body) =>
    fetch(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Current-URL": location.href, "X-CSRFToken": csrf() },
    });

  // A rating is sent from the page that shows its criterion (a conflict is shown there); an upload from the
  // page it was made on, or any page showing its criterion's evidence.
  const sendable = (entry) =>
    entry.kind === "rating"
      ? Boolean(ratingForm(entry))
      : entry.page === location.pathname || Boolean(uploadTarget(entry));

  const send = async (entry) => {
    const body = new FormData();
    let target;
    if (entry.kind === "rating") {
      const form = ratingForm(entry);
      target = rowOf(form);
      for (const [name, value] of Object.entries(entry.data)) body.append(name, value);
      say(form, "syncingRowText", "pending");
    } else {
      target = uploadTarget(entry);
      for (const file of entry.files) body.append("files", file.blob, file.name);
      body.append("client_key", entry.clientKey); // the server stores a replayed upload once
    }
    let response;
    try {
      response = await post(entry.url, body);
    } catch {
      unreachable = true;
      if (entry.kind === "rating") say(ratingForm(entry), "queuedText", "queued");
      return false; // still offline: try again later
    }
    unreachable = false;
    if (response.status === 401) {
      signIn(); // kept for this user: sent after signing in again
      return false;
    }
    const html = await response.text();
    if (response.ok && target && window.htmx) {
      // The server's answer, as online: the saved line, a field's error, or the conflict with the other value.
      htmx.swap(target, html, { swapStyle: "outerHTML" });
    } else if (!response.ok && entry.kind === "rating") {
      say(ratingForm(entry), "failedRowText", "failed");
    }
    await remove(entry.id);
    return true;
  };

  const sync = async () => {
    if (syncing || !navigator.onLine || !me()) return;
    syncing = true;
    try {
      const tried = new Set();
      for (;;) {
        await chain; // nothing half-kept is sent
        const entry = mine(await all()).find((e) => !tried.has(e.id) && sendable(e));
        if (!entry) break;
        tried.add(entry.id);
        await refresh();
        if (!(await send(entry))) break;
      }
    } finally {
      syncing = false;
      await refresh();
    }
  };

  // The page as served may be the copy cached before the network dropped: show what is kept on top of it.
  const applyKept = async () => {
    for (const entry of mine(await all())) {
      if (entry.kind === "rating") {
        const form = ratingForm(entry);
        if (!form) continue;
        fill(form, entry.data); // again after a swap: the remark may arrive later, with the details
        say(form, "queuedText", "queued");
      } else {
        uploadNote(entry);
      }
    }
  };

  const forget = async () => {
    await chain;
    for (const entry of await all()) {
      if (entry.user === me() || !live(entry)) await remove(entry.id);
    }
    if (window.caches) {
      for (const name of await caches.keys()) {
        if (PAGE_CACHES.some((prefix) => name.startsWith(prefix))) await caches.delete(name);
      }
    }
  };

  // Signing out: ask first when something is not sent yet; then this user's entries and cached pages go.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!form.matches || !form.matches("form[data-logout]") || form.dataset.offlineForgotten) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (pending > 0 && !window.confirm(text("signoutText", pending))) return;
      forget()
        .catch(() => undefined)
        .finally(() => {
          form.dataset.offlineForgotten = "true";
          form.submit();
        });
    },
    true,
  );

  // --- the service worker ---------------------------------------------------------------------------------
  const register = async () => {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    } catch {
      // offline, or not a secure context: the page works as before
    }
    const registration = await navigator.serviceWorker.ready;
    const urls = [];
    if (me() && ASSESSMENT.test(location.pathname) && navigator.onLine) {
      urls.push({ url: location.pathname + location.search, hx: false });
      document.querySelectorAll("[data-offline-prefetch][hx-get]").forEach((elt) => {
        urls.push({ url: elt.getAttribute("hx-get"), hx: true });
      });
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      document.documentElement.dataset.offlineReady = "true"; // this page now opens without a network
    };
    registration.active.postMessage({ type: "user", user: me(), urls }, [channel.port2]);
  };

  window.anesqcOffline = { keep, sync, count: () => pending };
  try {
    localStorage.removeItem("anesqc:pending"); // the queue before IndexedDB
  } catch {
    // storage refused: nothing to clean
  }

  const start = async () => {
    try {
      for (const entry of await all()) if (!live(entry)) await remove(entry.id);
    } catch {
      return; // no IndexedDB (a private window may refuse it): saves go straight to the server as before
    }
    await applyKept();
    await refresh();
    await sync();
  };
  document.addEventListener("DOMContentLoaded", () => {
    start();
    register();
  });
  window.addEventListener("online", () => {
    unreachable = false;
    refresh().then(sync);
  });
  window.addEventListener("offline", refresh);
  // Rows and evidence blocks swapped in (filters, details loaded on demand) show what is kept for them.
  document.addEventListener("htmx:afterSettle", () => {
    if (pending && !syncing) applyKept().then(sync);
  });
  setInterval(() => {
    if (pending && navigator.onLine) sync();
  }, RETRY_MS);
})();
