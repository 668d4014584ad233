// Turn the portal's notifications on or off on this phone (the reminder page, section#push).
//
// "Turn on" asks the browser's permission, subscribes through the service worker (/sw.js, which
// shows what arrives: static/js/sw-push.js) with the site's VAPID public key, and sends the
// subscription to the server (tracker:push_device), which keeps it for the worker. "Turn off"
// unsubscribes here first (what the person asked for happens even offline), then tells the
// server; a subscription the server still holds is answered "gone" by the push service and
// forgotten at the next reminder.
//
// Every word shown comes from the page (data-say-* on the section), translated by the server.
(function () {
  "use strict";
  var section = document.getElementById("push");
  if (!section) { return; }
  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window && Boolean(window.fetch) && Boolean(window.Promise);
  if (!supported) {
    // The page says why nothing can be turned on here (an iPhone's Safari outside the app).
    document.querySelectorAll("[data-push-unsupported]").forEach(function (note) {
      note.hidden = false;
    });
    return;
  }

  // The service worker registers at the page's load (sw-register.js); wait for it this long.
  var WORKER_WAIT_MS = 10000;
  var key = section.dataset.pushKey;
  var url = section.dataset.pushUrl;
  var status = section.querySelector("[data-push-status]");
  var onButton = section.querySelector("[data-push-on]");
  var offButton = section.querySelector("[data-push-off]");
  var denied = section.querySelector("[data-push-denied]");
  var count = document.querySelector("[data-push-devices]");
  var tick = document.querySelector("[data-push-tick]");
  var byPush = document.querySelector("input[name=by_push]");

  function say(text) {
    // Emptied first, so the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function busy(yes) {
    onButton.disabled = yes;
    offButton.disabled = yes;
  }

  function show(on) {
    onButton.hidden = on;
    offButton.hidden = !on;
    if (on) { denied.hidden = true; }
    if (tick) { tick.hidden = !(on && byPush && !byPush.checked); }
  }

  // The pressed button is disabled while the browser and the server answer, then perhaps
  // hidden: focus goes to the button now shown, so a keyboard or screen reader is not lost.
  function done() {
    busy(false);
    var shown = onButton.hidden ? offButton : onButton;
    if (document.activeElement !== shown) { shown.focus(); }
  }

  // The number of devices the page was drawn with is out of date once one is added or removed.
  function forgetCount() {
    if (count) { count.hidden = true; }
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(subscription, bytes) {
    var theirs = subscription.options && subscription.options.applicationServerKey;
    if (!theirs) { return true; } // the browser does not say: assume it is ours
    theirs = new Uint8Array(theirs);
    if (theirs.length !== bytes.length) { return false; }
    for (var i = 0; i < bytes.length; i += 1) {
      if (theirs[i] !== bytes[i]) { return false; }
    }
    return true;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Resolves with the server's JSON answer; rejects with an Error whose message is the server's
  // own words when it gave any.
  function post(body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) { return answer; }
        var error = new Error(answer.error || "");
        error.status = response.status;
        throw error;
      });
    });
  }

  function worker() {
    var timeout = new Promise(function (resolve, reject) {
      window.setTimeout(function () { reject(new Error("")); }, WORKER_WAIT_MS);
    });
    return Promise.race([navigator.serviceWorker.ready, timeout]);
  }

  // Safari before 15 takes a callback; the others return a promise.
  function askPermission() {
    return new Promise(function (resolve) {
      var answer = Notification.requestPermission(resolve);
      if (answer && typeof answer.then === "function") { answer.then(resolve); }
    });
  }

  function failed(error) {
    if (error && error.status === 401) {
      say(section.dataset.sayLogin);
    } else {
      say((error && error.status && error.message) || section.dataset.sayFailed);
    }
  }

  function turnOn() {
    busy(true);
    // Asked first, within the tap: browsers (Safari above all) refuse to ask later.
    var permission = askPermission();
    say(section.dataset.sayWorking);
    permission.then(function (answer) {
      if (answer === "denied") {
        denied.hidden = false;
        say(section.dataset.sayDenied);
        return null;
      }
      if (answer !== "granted") { // the question was closed unanswered: it may be asked again
        say(section.dataset.sayNotNow);
        return null;
      }
      var bytes = keyBytes(key);
      return worker().then(function (registration) {
        return registration.pushManager.getSubscription().then(function (old) {
          // Kept from before the site's keys changed: the push service would refuse ours.
          if (old && !sameKey(old, bytes)) {
            return old.unsubscribe().then(function () { return null; });
          }
          return old;
        }).then(function (old) {
          return old || registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: bytes,
          });
        });
      }).then(function (subscription) {
        return post(subscription.toJSON()).then(function () {
          show(true);
          forgetCount();
          say(section.dataset.sayOn);
        }, function (error) {
          // Not kept by the server: not kept here either, or the page would say "on".
          return subscription.unsubscribe().catch(function () {}).then(function () {
            throw error;
          });
        });
      });
    }).catch(failed).then(done);
  }

  function turnOff() {
    busy(true);
    say(section.dataset.sayWorking);
    worker().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        // Off here all the same if this fails: the server forgets the device when the push
        // service answers "gone" to the next reminder.
        return post({ endpoint: endpoint, remove: true }).catch(function () {}).then(forgetCount);
      });
    }).then(function () {
      show(false);
      say(section.dataset.sayOff);
    }).catch(failed).then(done);
  }

  onButton.addEventListener("click", turnOn);
  offButton.addEventListener("click", turnOff);
  if (byPush && tick) {
    byPush.addEventListener("change", function () {
      if (byPush.checked) { tick.hidden = true; }
    });
  }

  section.hidden = false;
  if (Notification.permission === "denied") {
    denied.hidden = false;
  }
  worker().then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    var on = Boolean(subscription) && Notification.permission === "granted";
    show(on);
    // Where things stand, not news: set without the pause that makes it announced.
    if (!status.textContent) { status.textContent = on ? section.dataset.sayOn : section.dataset.sayOff; }
  }).catch(function () {
    // No service worker: "Turn on" says so when pressed.
  });
})();
