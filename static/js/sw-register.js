// Register the service worker (/sw.js, built from Workbox at set-up) where the browser supports
// one, and keep the offline copies of a signed-in person's pages, and their notifications, to
// that person.
//
// The service worker keeps "Get help now", the quick log and the articles read, as the person saw
// them; signed in, those copies carry their name, their red-flag banner and their id. So this
// script deletes those caches when the person logs out (the logout form waits for it) and
// whenever the page shows that someone else, or no one, is now signed in (a session that timed
// out). It then keeps a copy of "Get help now", and for a signed-in person of the quick log, so
// both open offline even if they have not been visited yet.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator) || !("caches" in window)) { return; }
  var WORKER = script.dataset.worker;
  var LOGOUT = script.dataset.logout;
  var HELP = script.dataset.help;
  var QUICK_LOG = script.dataset.quickLog;
  // The caches of scripts/build-sw.mjs that may hold a signed-in person's pages.
  var PERSONAL = /^bcc-(pages|articles)$/;
  var USER_KEY = "bcc-offline-user";
  var user = document.body.dataset.user || "";

  function remembered() {
    // null: storage is refused (private browsing), so a change of person cannot be seen here;
    // the logout form still clears the copies.
    try { return window.localStorage.getItem(USER_KEY) || ""; } catch (error) { return null; }
  }

  function remember(value) {
    try { window.localStorage.setItem(USER_KEY, value); } catch (error) { /* storage refused */ }
  }

  function clearPersonalPages() {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return PERSONAL.test(name); })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  // This browser's notifications belong to the person who turned them on: when they log out, or
  // someone else signs in here, the subscription ends (the push service then tells the server it
  // is gone, and the server forgets it), so nobody else's reminders arrive. A session that timed
  // out keeps it: the person did not leave, and their reminders should still come.
  function forgetPush() {
    if (!("PushManager" in window)) { return Promise.resolve(); }
    return navigator.serviceWorker.getRegistration().then(function (registration) {
      return registration && registration.pushManager.getSubscription();
    }).then(function (subscription) {
      return subscription && subscription.unsubscribe();
    });
  }

  // The page as this person sees it (a visitor's copy, fetched without cookies, carries no one's
  // data); only the page itself, never the login page a signed-out person is sent to.
  function keep(cache, url) {
    return cache.match(url).then(function (kept) {
      if (kept || navigator.onLine === false) { return; }
      return fetch(url, { credentials: user ? "same-origin" : "omit" }).then(function (response) {
        if (response.status === 200 && !response.redirected) { return cache.put(url, response); }
      });
    });
  }

  function keepPages() {
    return caches.open("bcc-pages").then(function (cache) {
      return Promise.all([HELP].concat(user && QUICK_LOG ? [QUICK_LOG] : [])
        .map(function (url) { return keep(cache, url); }));
    });
  }

  // Someone else, or no one, is signed in now: the copies of the last person's pages go. Not
  // on the offline page, which is the same for everyone and says nothing of who is signed in.
  var offlinePage = Boolean(document.querySelector("[data-offline-page]"));
  var ready = Promise.resolve();
  var before = offlinePage ? null : remembered();
  if (before !== null && before !== user) {
    var someoneElse = Boolean(before && user);
    ready = Promise.all([
      clearPersonalPages(),
      someoneElse ? forgetPush().catch(function () {}) : null,
    ]);
  }
  if (!offlinePage) {
    ready = ready.then(function () { remember(user); }, function () { remember(user); });
  }

  // Logging out: delete the copies first (a second at most), then send the form.
  if (LOGOUT) {
    document.querySelectorAll("form").forEach(function (form) {
      if (new URL(form.action, location.href).pathname !== LOGOUT) { return; }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var timeout = new Promise(function (resolve) { setTimeout(resolve, 1000); });
        var forget = Promise.all([clearPersonalPages(), forgetPush()]);
        Promise.race([forget, timeout]).catch(function () {}).then(function () {
          remember("");
          HTMLFormElement.prototype.submit.call(form);
        });
      });
    });
  }

  window.addEventListener("load", function () {
    navigator.serviceWorker.register(WORKER, { scope: "/" }).catch(function () {
      // No offline copies then; the site works as before.
    });
    if (!offlinePage) { ready.then(keepPages).catch(function () {}); }
  });
})();
