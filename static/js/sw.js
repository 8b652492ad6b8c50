// anesqc service worker. Served at /sw.js by common/pwa.py, which puts VERSION (a digest of this file and of the
// app shell) and SHELL (the shell's static URLs) above this line. Hand-written: there is no build step.
//
// - The app shell (SHELL) is cached when the worker installs and served from the cache; a new deploy changes
//   VERSION, so a new worker caches the new shell and drops the old one. Other static files: network first.
// - The pages and htmx fragments of an assessment (/assessments/<pk>/…) are fetched from the network first and
//   kept in the cache of the user the server names in X-Anesqc-User, so an assessment opened once reloads
//   without a network. Without a network the signed-in user's copy is served, never another user's.
// - A page tells the worker who is signed in ({type: "user"}, static/js/offline.js): the caches of anyone else
//   are dropped then, and the page's own URL and its `data-offline-prefetch` fragments are cached.
// - Writes (POST) are never touched: offline.js keeps them in IndexedDB and sends them when back online.
/* global VERSION, SHELL */
const SHELL_CACHE = `anesqc-shell-${VERSION}`;
const STATIC_CACHE = "anesqc-static";
const PAGES = "anesqc-pages-"; // + user id: one cache per user
const META = "anesqc-meta";
const USER_KEY = "/__anesqc/user";
const USER_HEADER = "X-Anesqc-User";
const ASSESSMENT = /^\/assessments\/\d+\//;
const FRESH_MS = 10 * 60 * 1000; // a prefetched fragment younger than this is not fetched again
const putting = new Map(); // cache key → the pending put of a page just fetched

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // Each file on its own: one that fails must not keep the worker from installing.
      await Promise.all(SHELL.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => undefined)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("anesqc-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

const signedIn = async () => {
  const answer = await (await caches.open(META)).match(USER_KEY);
  return answer ? answer.text() : "";
};

// The user of the page that wrote last: everyone else's pages leave this device.
const setUser = async (user) => {
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES) && name !== PAGES + user) await caches.delete(name);
  }
  const meta = await caches.open(META);
  if (user) await meta.put(USER_KEY, new Response(user));
  else await meta.delete(USER_KEY);
};

// A full page and an htmx fragment may share a URL: the fragment is kept under a key of its own.
const keyOf = (request) => {
  const url = new URL(request.url);
  url.hash = "";
  if (request.headers.get("HX-Request") === "true") url.searchParams.set("__hx", "1");
  return url.href;
};

const keep = (key, response) => {
  const user = response.headers.get(USER_HEADER);
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.redirected || !user || !type.startsWith("text/html")) return Promise.resolve();
  const done = caches
    .open(PAGES + user)
    .then((cache) => cache.put(key, response))
    .catch(() => undefined)
    .finally(() => putting.delete(key));
  putting.set(key, done);
  return done;
};

const offlinePage = () =>
  new Response(
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
      "<title>离线 · anesqc</title><main><h1>离线</h1><p>网络已断开，此页面未在本设备保存。" +
      "已打开过的评审页面可以离线打开。</p><p lang=\"en\">Offline: this page is not saved on this device.</p></main></html>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
  );

const assessmentPage = async (event) => {
  const request = event.request;
  const key = keyOf(request);
  try {
    const response = await fetch(request);
    event.waitUntil(keep(key, response.clone()));
    return response;
  } catch (error) {
    const user = await signedIn();
    const cached = user ? await (await caches.open(PAGES + user)).match(key) : undefined;
    if (cached) return cached;
    if (request.mode === "navigate") return offlinePage();
    throw error; // htmx reports it (htmx:sendError)
  }
};

const shellFile = async (request) => {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || staticFile(request);
};

const staticFile = async (request) => {
  const cache = await caches.open(STATIC_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.includes(url.pathname) && !url.search) event.respondWith(shellFile(request));
  else if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(request));
  else if (ASSESSMENT.test(url.pathname)) event.respondWith(assessmentPage(event));
});

// Cache what the page lists (its own URL, its fragments to prefetch) unless a fresh copy is there already.
const prefetch = async (user, urls) => {
  const cache = await caches.open(PAGES + user);
  for (const { url, hx } of urls) {
    const request = new Request(url, { headers: hx ? { "HX-Request": "true" } : {}, credentials: "same-origin" });
    const key = keyOf(request);
    await putting.get(key);
    const cached = await cache.match(key);
    const age = cached ? Date.now() - Date.parse(cached.headers.get("Date") || "") : Infinity;
    if (cached && (!hx || age < FRESH_MS)) continue;
    try {
      const response = await fetch(request);
      if (response.headers.get(USER_HEADER) === user) await keep(key, response);
    } catch {
      return; // offline again: the next page load tries
    }
  }
};

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = () => event.ports[0] && event.ports[0].postMessage({ type: "done" });
  if (data.type === "user") {
    const user = String(data.user || "");
    event.waitUntil(
      (async () => {
        await setUser(user);
        if (user && Array.isArray(data.urls)) await prefetch(user, data.urls);
      })().finally(reply),
    );
  } else if (data.type === "signout") {
    event.waitUntil(setUser("").finally(reply));
  }
});
