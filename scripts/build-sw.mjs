// Build the service worker (build/root/sw.js) with Workbox's generateSW, from the npm registry's
// workbox-build (package.json). `make collectstatic` runs it after Django's collectstatic, so the
// files it keeps ahead of time are the hashed names the pages ask for; `make run` (DJANGO_DEBUG=1)
// builds a development copy that keeps the shell as it is used instead. WhiteNoise serves
// build/root/ at the site's root (settings.WHITENOISE_ROOT), so /sw.js controls every page.
//
// What it keeps:
// - ahead of time (precache): the app shell (Bootstrap's CSS and JS, the site's CSS and JS, the
//   IndexedDB library, the icons) and the offline page, /offline/, which the server renders the
//   same for everyone (portal.offline);
// - as they are visited, network first (a 3-second wait, then the kept copy): "Get help now", the
//   quick log page and the articles, each cache bounded in entries and age. The browser pages
//   that script clears these two caches when a person logs out (static/js/sw-register.js);
// - images and other static files, as they are used.
// What it never keeps: any other page (the dashboard, history, exports, clinic pages, the admin:
// health data), a redirect (to the login page, say) or anything that is not a plain 200, and
// any POST (Workbox's routes here are GET only). Those pages show the offline page instead.
//
// It also shows the portal's notifications (issue 18): static/js/sw-push.js, imported under its
// hashed name (the plain one in a development build), handles "push" and "notificationclick".
//
// Usage: npm run build:sw   (reads staticfiles/staticfiles.json; DJANGO_DEBUG=1 does not need it)

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { generateSW } from "workbox-build";

const BASE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STATIC_ROOT = path.join(BASE, "staticfiles"); // settings.STATIC_ROOT
const STATIC_URL = "/static/"; // settings.STATIC_URL
const OUT = path.join(BASE, "build", "root"); // settings.WHITENOISE_ROOT
const OFFLINE_PAGE = "/offline/"; // portal.urls "offline"
const DEBUG = ["1", "true", "yes", "on"].includes(
  (process.env.DJANGO_DEBUG || "").trim().toLowerCase(),
);

// The app shell, as names in the static files manifest. Staff pages' files (css/staff/,
// js/staff/: the admin's editor) are not in it: no patient's phone needs them.
const SHELL = [
  /^vendor\/bootstrap\/css\/bootstrap\.min\.css$/,
  /^vendor\/bootstrap\/js\/bootstrap\.bundle\.min\.js$/,
  /^vendor\/idb-keyval\/umd\.js$/,
  /^css\/[^/]+\.css$/,
  /^js\/[^/]+\.js$/,
  /^img\/[^/]+\.(?:svg|png)$/,
];
// Imported by the worker itself (the browser keeps it with the worker), so not kept again.
const PUSH_HANDLER = "js/sw-push.js";

function hashOf(...parts) {
  const hash = createHash("sha256");
  parts.forEach((part) => hash.update(part));
  return hash.digest("hex").slice(0, 16);
}

function shellFiles() {
  const manifestFile = path.join(STATIC_ROOT, "staticfiles.json");
  if (!existsSync(manifestFile)) {
    throw new Error(`${manifestFile} is missing: run Django's collectstatic first.`);
  }
  const manifestText = readFileSync(manifestFile, "utf8");
  const hashed = JSON.parse(manifestText).paths;
  const files = Object.keys(hashed)
    .filter((name) => name !== PUSH_HANDLER && SHELL.some((pattern) => pattern.test(name)))
    .map((name) => hashed[name])
    .sort();
  if (!hashed[PUSH_HANDLER]) {
    throw new Error(`${PUSH_HANDLER} is not in ${manifestFile}: run Django's collectstatic again.`);
  }
  return { files, manifestText, pushHandler: STATIC_URL + hashed[PUSH_HANDLER] };
}

// The offline page changes when its templates or the assets it links change; the numbers to
// call in its footer come from the environment.
function offlinePageEntry(manifestText) {
  const templates = ["templates/base.html", "templates/portal/offline.html"].map((name) =>
    readFileSync(path.join(BASE, name), "utf8"),
  );
  const numbers = `${process.env.PORTAL_EMERGENCY_NUMBER || "999"}/${process.env.PORTAL_URGENT_NUMBER || "111"}`;
  return { url: OFFLINE_PAGE, revision: hashOf(...templates, manifestText, numbers) };
}

// Keep a page only when it is the page itself: a plain 200, not a redirect (a signed-out
// person's quick log redirects to the login page) and not an error.
const onlyThePageItself = {
  cacheWillUpdate: async ({ response }) =>
    response && response.status === 200 && response.type === "basic" && !response.redirected
      ? response
      : null,
};

const DAY = 24 * 3600;

async function main() {
  const shell = DEBUG
    ? { files: [], manifestText: "debug", pushHandler: STATIC_URL + PUSH_HANDLER }
    : shellFiles();
  // Written beside build/root/ and moved into it in one step, so a server running meanwhile
  // never finds it missing or half written.
  const scratch = `${OUT}.${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  const { count, size, warnings } = await generateSW({
    swDest: path.join(scratch, "sw.js"),
    mode: DEBUG ? "development" : "production",
    inlineWorkboxRuntime: true,
    sourcemap: false,
    cacheId: "bcc",
    skipWaiting: true,
    clientsClaim: true,
    cleanupOutdatedCaches: true,
    navigationPreload: true,
    importScripts: [shell.pushHandler],
    // The shell: the collected files under their hashed names, which carry their revision.
    globDirectory: DEBUG ? path.join(BASE, "static") : STATIC_ROOT,
    globPatterns: shell.files,
    modifyURLPrefix: { "": STATIC_URL },
    dontCacheBustURLsMatching: /\.[0-9a-f]{12}\.[a-z0-9]+$/,
    additionalManifestEntries: [offlinePageEntry(shell.manifestText)],
    runtimeCaching: [
      {
        // "Get help now" and the quick log: the two pages that must open without a connection.
        urlPattern: ({ request, url }) =>
          request.mode === "navigate" &&
          url.origin === self.location.origin &&
          (url.pathname === "/get-help/" || url.pathname === "/tracker/episodes/new/"),
        handler: "NetworkFirst",
        options: {
          cacheName: "bcc-pages",
          networkTimeoutSeconds: 3,
          expiration: { maxEntries: 10, maxAgeSeconds: 30 * DAY, purgeOnQuotaError: true },
          plugins: [onlyThePageItself],
          precacheFallback: { fallbackURL: OFFLINE_PAGE },
        },
      },
      {
        // The articles a person has read (not an editor's preview of a draft).
        urlPattern: ({ request, url }) =>
          request.mode === "navigate" &&
          url.origin === self.location.origin &&
          url.pathname.startsWith("/articles/") &&
          !url.pathname.endsWith("/preview/"),
        handler: "NetworkFirst",
        options: {
          cacheName: "bcc-articles",
          networkTimeoutSeconds: 3,
          expiration: { maxEntries: 30, maxAgeSeconds: 30 * DAY, purgeOnQuotaError: true },
          plugins: [onlyThePageItself],
          precacheFallback: { fallbackURL: OFFLINE_PAGE },
        },
      },
      {
        // Their images (and any other image of ours that is not in the shell).
        urlPattern: ({ request, url }) =>
          request.destination === "image" && url.origin === self.location.origin,
        handler: "CacheFirst",
        options: {
          cacheName: "bcc-images",
          cacheableResponse: { statuses: [200] },
          expiration: { maxEntries: 60, maxAgeSeconds: 30 * DAY, purgeOnQuotaError: true },
        },
      },
      {
        // Other static files (Chart.js, say) as they are used: hashed names never change, but
        // the development server's names do.
        urlPattern: ({ url }) =>
          url.origin === self.location.origin && url.pathname.startsWith("/static/"),
        handler: DEBUG ? "StaleWhileRevalidate" : "CacheFirst",
        options: {
          cacheName: "bcc-static",
          cacheableResponse: { statuses: [200] },
          expiration: { maxEntries: 60, maxAgeSeconds: 30 * DAY, purgeOnQuotaError: true },
        },
      },
      {
        // Every other page: from the network only, never kept; the offline page without one.
        urlPattern: ({ request }) => request.mode === "navigate",
        handler: "NetworkOnly",
        options: { precacheFallback: { fallbackURL: OFFLINE_PAGE } },
      },
    ],
  });
  await mkdir(OUT, { recursive: true });
  await rename(path.join(scratch, "sw.js"), path.join(OUT, "sw.js"));
  await rm(scratch, { recursive: true, force: true });
  warnings.forEach((warning) => console.warn(warning));
  console.log(
    `service worker: ${path.relative(BASE, OUT)}/sw.js; kept ahead of time: ${count} files ` +
      `(${Math.round(size / 1024)} KB)${DEBUG ? ", development build" : ""}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
