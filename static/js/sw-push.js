// The service worker's notifications (imported into /sw.js by scripts/build-sw.mjs).
//
// The server sends JSON {"title", "body", "url"} (notifications.services._send_push), words it
// chose and translated, with nothing about the person's health: a phone's lock screen shows them
// to anyone nearby. A tap opens the portal at that address, in a window already open if any.
(function () {
  "use strict";
  // Served under this name in every build: the hashed copy may change with each release, and a
  // notification shown from an older worker still needs its icon.
  var ICON = "/static/img/app-icon-192.png";
  // A later reminder replaces an unread one instead of piling up beside it.
  var TAG = "daily-reminder";
  var HOME = "/tracker/";

  // Only a path of this site: a push message must not send anyone elsewhere.
  function samePlace(url) {
    try {
      var target = new URL(url || HOME, self.location.origin);
      return target.origin === self.location.origin ? target.href : null;
    } catch (error) {
      return null;
    }
  }

  self.addEventListener("push", function (event) {
    var message = null;
    try {
      message = event.data ? event.data.json() : null;
    } catch (error) {
      message = null;
    }
    // Every push of ours carries its words. Without them there is nothing of ours to show, and
    // no words in the worker: they come from the server, in the person's language.
    if (!message || typeof message.title !== "string") { return; }
    event.waitUntil(self.registration.showNotification(message.title, {
      body: typeof message.body === "string" ? message.body : "",
      icon: ICON,
      tag: TAG,
      renotify: true,
      data: { url: samePlace(message.url) || samePlace(HOME) },
    }));
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var target = (event.notification.data && samePlace(event.notification.data.url)) ||
      samePlace(HOME);
    event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
      .then(function (windows) {
        var ours = windows.filter(function (client) {
          return samePlace(client.url) !== null;
        });
        var exact = ours.filter(function (client) { return client.url === target; })[0];
        if (exact) { return exact.focus(); }
        if (ours.length) {
          // An open window of the site: brought forward and sent to the page.
          return ours[0].focus().then(function (client) {
            return (client || ours[0]).navigate(target);
          }).catch(function () {
            return self.clients.openWindow(target);
          });
        }
        return self.clients.openWindow(target);
      }));
  });
})();
