// The offline outbox (issue 16): a quick log, or red-flag answers, made without a connection wait
// on this device and are sent when the connection returns, never twice.
//
// A form opts in with data-outbox="episode" (the quick log) or "red_flags" (set by
// offline-advice.js on "Get help now"). Each entry is kept in IndexedDB (idb-keyval) under the
// submission key the page made for it, with the id of the person signed in (body data-user), and
// only that person's pages ever send it. Sending is a POST of the form's own fields to the form's
// action with Accept: application/json and the CSRF token; the server stores a key once, so two
// tabs sending the same entry store it once (201 the first time, 200 after).
//
// Online (the server answers a quick HEAD /ping/ first), the form is sent as usual; a copy is
// kept first, so an entry whose request is lost on a failing connection is sent from the next
// page instead. The next page drops the copy when the server redirected to it (stored) or shows
// the form again with it (its errors); otherwise it sends it, and a repeat is told 200.
(function () {
  "use strict";
  var kv = window.idbKeyval;
  var user = document.body.dataset.user;
  var PING = document.currentScript && document.currentScript.dataset.ping;
  if (!kv || !user || !window.indexedDB) { return; }
  var store = kv.createStore("back-cramp-care", "outbox");
  var LOCK = "back-cramp-care-outbox";
  var view = newKey(); // this showing of the page
  var sent = []; // entries sent while this page was open, to say so
  var sending = null;

  // Keys and tokens ----------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function keyInput(form) { return form.querySelector("input[name=submission_key]"); }

  // Entries -------------------------------------------------------------------------------

  function fieldsOf(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") { fields.push([name, value]); }
    });
    return fields;
  }

  function field(entry, name) {
    for (var i = 0; i < entry.fields.length; i++) {
      if (entry.fields[i][0] === name) { return entry.fields[i][1]; }
    }
    return "";
  }

  // Now in the form's time zone (the quick log's data-zone), as YYYY-MM-DD and HH:MM.
  function now(form) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: form.dataset.zone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return { day: parts.year + "-" + parts.month + "-" + parts.day, time: parts.hour + ":" + parts.minute };
  }

  function entryFrom(form, kind, state) {
    var input = keyInput(form);
    if (!input.value) { input.value = newKey(); }
    var fields = fieldsOf(form);
    // "It has stopped" with no time means it stopped when the person said so, not when the
    // entry reaches the server, perhaps hours later.
    var ended = fields.some(function (pair) { return pair[0] === "status" && pair[1] === "ended"; });
    var blank = function (name) {
      return fields.some(function (pair) { return pair[0] === name && !pair[1]; });
    };
    if (kind === "episode" && state === "waiting" && ended && blank("end_time") && blank("end_date")) {
      var at = now(form);
      fields.forEach(function (pair) {
        if (pair[0] === "end_time") { pair[1] = at.time; }
        if (pair[0] === "end_date") { pair[1] = at.day; }
      });
    }
    return {
      key: input.value,
      kind: kind,
      user: user,
      action: new URL(form.getAttribute("action") || location.pathname, location.href).pathname,
      page: location.pathname,
      fields: fields,
      created: Date.now(),
      state: state,
      view: view,
      errors: null,
      login: null,
      note: null,
    };
  }

  function mine() {
    return kv.values(store).then(function (entries) {
      return entries.filter(function (entry) { return entry && entry.user === user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }

  function change(key, changes) {
    return kv.update(key, function (entry) {
      return entry ? Object.assign(entry, changes) : entry;
    }, store);
  }

  // Sending -------------------------------------------------------------------------------

  function post(entry) {
    return fetch(entry.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: new URLSearchParams(entry.fields),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function messages(errors) {
    var out = [];
    Object.keys(errors || {}).forEach(function (name) { out = out.concat(errors[name]); });
    return out;
  }

  // Send this person's waiting entries, one at a time; stop at the first that cannot go yet.
  function sendOne(entries) {
    if (!entries.length) { return Promise.resolve(); }
    var entry = entries[0];
    var rest = entries.slice(1);
    // Another tab may have sent it meanwhile.
    return kv.get(entry.key, store).then(function (current) {
      if (!current) { return sendOne(rest); }
      return post(current).then(function (answer) {
        if (answer.status >= 200 && answer.status < 300) {
          if (current.state !== "sending") {
            sent.push({ entry: current, url: answer.data.url || null });
          }
          return kv.del(current.key, store).then(function () { return sendOne(rest); });
        }
        if (answer.status === 400) {
          return change(current.key, { state: "invalid", errors: answer.data.errors || {} })
            .then(function () { return sendOne(rest); });
        }
        if (answer.status === 401) {
          return change(current.key, { state: "login", login: answer.data.login || null });
        }
        // Refused for now (too many this hour, a server error): it waits, with any message.
        return change(current.key, { state: "waiting", note: messages(answer.data.errors)[0] || null });
      }, function () {
        // No connection after all: it waits.
        return current.state === "sending" ? change(current.key, { state: "waiting" }) : null;
      });
    });
  }

  function sendNow() {
    return mine().then(function (entries) {
      return sendOne(entries.filter(function (entry) {
        // Not one this page is sending the usual way, and not one that needs a change first.
        return entry.state !== "invalid" && !(entry.state === "sending" && entry.view === view);
      }));
    });
  }

  function sendWaiting() {
    if (navigator.onLine === false) { return render(); }
    if (!sending) {
      var run = navigator.locks
        ? navigator.locks.request(LOCK, sendNow)
        : sendNow();
      sending = run.catch(function () {}).then(function () { sending = null; return render(); });
    }
    return sending;
  }

  // Showing -------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function describe(entry) {
    if (entry.kind === "episode") {
      var day = field(entry, "start_date");
      var time = field(entry, "start_time");
      var parts = day.split("-").map(Number);
      var date = parts.length === 3 && parts[0]
        ? new Date(parts[0], parts[1] - 1, parts[2]).toLocaleDateString("en-GB", { day: "numeric", month: "short" })
        : "";
      var severity = field(entry, "severity");
      return [
        "Episode started ",
        el("time", { datetime: day + (time ? "T" + time : "") }, [(time ? time + ", " : "") + date]),
        severity ? ", severity " + severity + " of 10" : "",
      ];
    }
    var count = entry.fields.filter(function (pair) { return pair[0] === "red_flags"; }).length;
    var at = new Date(entry.created);
    var clock = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    return [
      (count === 1 ? "1 warning sign" : count + " warning signs") + " you ticked at ",
      el("time", { datetime: at.toISOString() }, [clock]),
    ];
  }

  function formFor(entry) {
    var form = document.querySelector("form[data-outbox='" + entry.kind + "']");
    if (form && new URL(form.getAttribute("action") || location.pathname, location.href).pathname === entry.action) {
      return form;
    }
    return null;
  }

  function itemFor(entry) {
    var state;
    var extra = [];
    if (entry.state === "invalid") {
      state = "Needs a change";
      extra.push(el("ul", { "class": "outbox-errors mb-1" }, messages(entry.errors).map(function (text) {
        return el("li", {}, [text]);
      })));
      var form = formFor(entry);
      extra.push(el("p", { "class": "mb-0" }, [form
        ? el("button", { type: "button", "class": "btn btn-dark outbox-open", "data-outbox-open": entry.key }, ["Open it in the form"])
        : el("a", { "class": "alert-link outbox-open", href: entry.page + "#outbox-" + entry.key }, ["Open it in the form"])]));
    } else if (entry.state === "login") {
      state = "Log in to send";
      extra.push(el("p", { "class": "mb-0" }, [el("a", {
        "class": "alert-link",
        href: (entry.login || "/accounts/login/") + "?next=" + encodeURIComponent(location.pathname),
      }, ["Log in to send it"])]));
    } else {
      state = "Waiting to send";
      if (entry.note) { extra.push(el("p", { "class": "mb-0" }, [entry.note])); }
    }
    return el("li", { "class": "outbox-item", "data-outbox-key": entry.key, "data-state": entry.state },
      [el("span", { "class": "outbox-what" }, describe(entry)), ": ",
        el("strong", { "class": "outbox-state" }, [state])].concat(extra));
  }

  function container(create) {
    var box = document.querySelector("[data-outbox-status]");
    if (box || !create) { return box; }
    var main = document.getElementById("main");
    if (!main) { return null; }
    box = el("div", { "class": "outbox-status", "data-outbox-status": "", "aria-live": "polite" });
    // Under the page's title, and under any advice shown offline, which comes first.
    var above = document.querySelector("[data-offline-advice]") || main.querySelector("h1");
    if (above && above.parentNode) {
      above.parentNode.insertBefore(box, above.nextSibling);
    } else {
      main.insertBefore(box, main.firstChild);
    }
    return box;
  }

  var justSaved = false;

  function render() {
    return mine().then(function (entries) {
      var shown = entries.filter(function (entry) { return !(entry.state === "sending" && entry.view === view); });
      var box = container(shown.length > 0 || sent.length > 0);
      if (!box) { return; }
      box.textContent = "";
      if (shown.length) {
        var children = [el("h2", { "class": "h5", id: "outbox-heading", tabindex: "-1" }, ["Waiting to send"])];
        if (justSaved) {
          children.push(el("p", { "class": "mb-2" }, ["Saved on this phone. It will be sent when you are back online."]));
        } else {
          children.push(el("p", { "class": "mb-2" }, ["Kept on this phone until it can be sent."]));
        }
        children.push(el("ul", { "class": "outbox-list mb-0" }, shown.map(itemFor)));
        box.appendChild(el("section", { "class": "outbox alert alert-warning", "aria-labelledby": "outbox-heading" }, children));
      }
      sent.forEach(function (done) {
        var link = done.url
          ? [" ", el("a", { "class": "alert-link", href: done.url }, [done.entry.kind === "episode" ? "Add details" : "What to do"])]
          : [];
        box.appendChild(el("p", { "class": "outbox-sent alert alert-success" },
          ["Sent: "].concat(describe(done.entry), ["."], link)));
      });
      box.hidden = !shown.length && !sent.length;
    });
  }

  // The form ------------------------------------------------------------------------------

  function fill(form, entry) {
    var names = {};
    entry.fields.forEach(function (pair) { names[pair[0]] = true; });
    Array.prototype.forEach.call(form.elements, function (input) {
      if ((input.type === "checkbox" || input.type === "radio") && names[input.name]) { input.checked = false; }
    });
    entry.fields.forEach(function (pair) {
      var inputs = form.querySelectorAll("[name='" + pair[0] + "']");
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          if (input.value === pair[1]) { input.checked = true; }
        } else {
          input.value = pair[1];
        }
        // So the page's own scripts see the values as typed (quick-log.js keeps a typed start).
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    var first = Object.keys(entry.errors || {})[0];
    var target = first && form.querySelector("[name='" + first + "']");
    (target || form.querySelector("input:not([type=hidden]), select, textarea") || form).focus();
  }

  function openEntry(key) {
    return kv.get(key, store).then(function (entry) {
      if (!entry || entry.user !== user) { return; }
      var form = formFor(entry);
      if (form) { fill(form, entry); }
    });
  }

  // Start a new entry after one was kept: the form as it came, with a new key, starting now.
  function resetForm(form) {
    form.reset();
    keyInput(form).value = newKey();
    var day = form.querySelector("input[name=start_date]");
    var time = form.querySelector("input[name=start_time]");
    if (day && time) {
      var at = now(form);
      day.value = at.day;
      time.value = at.time;
    }
    form.dispatchEvent(new CustomEvent("outbox:reset", { bubbles: true }));
  }

  function enable(form) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
  }

  function keepOffline(form, kind) {
    var entry = entryFrom(form, kind, "waiting");
    return kv.set(entry.key, entry, store).then(function () {
      justSaved = true;
      if (kind === "episode") { resetForm(form); }
      enable(form);
      return render().then(function () {
        var heading = document.getElementById("outbox-heading");
        if (heading && kind === "episode") { heading.focus(); }
      });
    }, function () {
      // Not kept: everything typed stays in the form.
      enable(form);
      var box = container(true);
      if (box) {
        box.hidden = false;
        box.textContent = "This phone could not keep it. You are offline: please try again when you are back online.";
      }
    });
  }

  function sendAsUsual(form, kind) {
    var copy = entryFrom(form, kind, "sending");
    var timeout = new Promise(function (resolve) { setTimeout(resolve, 1000); });
    Promise.race([kv.set(copy.key, copy, store), timeout]).catch(function () {}).then(function () {
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  // Can the server be reached? navigator.onLine says "online" on a network that goes nowhere
  // (no signal, a captive portal), so ask the cheapest page there is, for a few seconds at most.
  function reachable() {
    if (navigator.onLine === false || !PING) { return Promise.resolve(navigator.onLine !== false); }
    var timer;
    var timeout = new Promise(function (resolve) { timer = setTimeout(resolve, 4000, false); });
    var probe = fetch(PING, { method: "HEAD", cache: "no-store", credentials: "same-origin" })
      .then(function () { return true; }, function () { return false; });
    return Promise.race([probe, timeout]).then(function (answer) { clearTimeout(timer); return answer; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.dataset && form.dataset.outbox;
    if (!kind || !keyInput(form)) { return; }
    event.preventDefault();
    if ("outboxBusy" in form.dataset) { return; } // a second tap while the first is on its way
    form.dataset.outboxBusy = "";
    reachable().then(function (online) {
      delete form.dataset.outboxBusy;
      if (online) { sendAsUsual(form, kind); return; }
      // The browser's own messages next to the fields, since the server cannot check it now.
      if (!form.checkValidity()) { form.reportValidity(); enable(form); return; }
      // The page may show something at once (offline-advice.js), or say it cannot be kept.
      var offline = new CustomEvent("outbox:offline", { bubbles: true, cancelable: true });
      if (!form.dispatchEvent(offline)) { enable(form); return; }
      keepOffline(form, kind);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outbox-open]");
    if (button) { openEntry(button.getAttribute("data-outbox-open")); }
  });

  function start() {
    // A new form gets a key made here, so a page kept offline never reuses one.
    document.querySelectorAll("form[data-outbox]").forEach(function (form) {
      var input = keyInput(form);
      if (input && ("fresh" in form.dataset || "outboxFresh" in form.dataset)) { input.value = newKey(); }
    });
    var onPage = {};
    document.querySelectorAll("input[name=submission_key]").forEach(function (input) { onPage[input.value] = true; });
    // Sent the usual way from the page before, and redirected here: the server stored it (it
    // redirects only then). Removing the copy spares the server a repeat it would refuse.
    var navigation = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation")[0] : null;
    var from = navigation && navigation.redirectCount > 0 && document.referrer
      ? new URL(document.referrer).pathname : null;
    mine().then(function (entries) {
      return Promise.all(entries.filter(function (entry) {
        if (entry.state !== "sending") { return false; }
        // The server showed its form again with this entry in it (its errors): the form has it.
        if (onPage[entry.key]) { return true; }
        return from === entry.page && Date.now() - entry.created < 10 * 60 * 1000;
      }).map(function (entry) { return kv.del(entry.key, store); }));
    }).then(function () {
      var opened = /^#outbox-(.+)$/.exec(location.hash);
      return opened ? openEntry(decodeURIComponent(opened[1])) : null;
    }).then(sendWaiting).catch(function () {});
  }

  window.addEventListener("online", sendWaiting);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { sendWaiting(); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { view = newKey(); sendWaiting(); }
  });

  window.portalOutbox = { sendWaiting: sendWaiting, entries: mine, render: render };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
