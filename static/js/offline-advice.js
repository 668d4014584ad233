// "Get help now" without a connection (issue 16). When the red-flag checklist is sent offline,
// show at once, at the top, the advice of the most pressing list a ticked sign belongs to, with
// the number to call, from what the page already holds: the tier of each sign (json_script
// "red-flag-tiers") and the page's own tier sections (data-tier), so the words are the page's.
// outbox.js (loaded for a signed-in person) keeps the answers and sends them to their log when
// the connection returns. Online, the form is sent as usual and the server shows the advice.
(function () {
  "use strict";
  var data = document.getElementById("red-flag-tiers");
  var first = document.querySelector("input[name=red_flags]");
  if (!data || !first || !first.form) { return; }
  var tiers = JSON.parse(data.textContent);
  var ORDER = ["emergency", "maternity", "urgent", "soon"];
  var form = first.form;
  form.setAttribute("data-outbox", "red_flags");
  form.setAttribute("data-outbox-fresh", "");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function labelOf(input) {
    return input.labels && input.labels.length ? input.labels[0].textContent.trim() : input.value;
  }

  function place(box) {
    var old = document.querySelector("[data-offline-advice]");
    if (old) { old.remove(); }
    var main = document.getElementById("main");
    var heading = main && main.querySelector("h1");
    if (heading) {
      heading.parentNode.insertBefore(box, heading.nextSibling);
    } else {
      document.body.insertBefore(box, document.body.firstChild);
    }
  }

  function show(ticked) {
    // A sign the page does not know is treated as the most pressing.
    var tierOf = function (input) { return tiers[input.value] || "emergency"; };
    var tier = ORDER.filter(function (name) {
      return ticked.some(function (input) { return tierOf(input) === name; });
    })[0];
    var section = document.querySelector("section[data-tier='" + tier + "']");
    var sectionHeading = section && section.querySelector("h2, h3");
    var call = section && section.querySelector("a[href^='tel:']");
    if (!call && tier === "emergency") { call = document.querySelector("a[href^='tel:']"); }
    var body = [
      el("ul", { "class": "mb-2" }, ticked.filter(function (input) { return tierOf(input) === tier; })
        .map(function (input) { return el("li", {}, [labelOf(input)]); })),
    ];
    if (call) {
      var button = call.cloneNode(true);
      button.removeAttribute("id");
      body.push(el("p", { "class": "mb-2" }, [button]));
    }
    body.push(el("p", { "class": "mb-0 small" }, [window.portalOutbox
      ? "You are offline. Your answers are kept on this phone and added to your log when you are back online."
      : "You are offline. Your answers have not been sent."]));
    var box = el("section", {
      "class": "offline-advice tier tier-" + tier + " card mb-4",
      "data-offline-advice": tier,
      "aria-labelledby": "offline-advice-heading",
      tabindex: "-1",
    }, [
      el("div", { "class": "card-header" }, [el("h2", { id: "offline-advice-heading", "class": "h4 mb-0" },
        [sectionHeading ? sectionHeading.textContent.trim() : "Call 999 or go to A&E now if you have"])]),
      el("div", { "class": "card-body" }, body),
    ]);
    place(box);
    // At once: no smooth scrolling (Bootstrap's) towards it.
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "start", behavior: "instant" });
  }

  function nothingTicked() {
    var note = el("p", { "class": "alert alert-warning mt-2", "data-offline-advice": "none", role: "alert" },
      ["Tick at least one sign you have now, or read the lists below."]);
    var old = form.querySelector("[data-offline-advice]");
    if (old) { old.remove(); }
    form.appendChild(note);
  }

  // Returns false when nothing is ticked: then there is nothing to keep for later either.
  function answerOffline() {
    var ticked = Array.prototype.slice.call(form.querySelectorAll("input[name=red_flags]:checked"));
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
    if (!ticked.length) {
      nothingTicked();
      return false;
    }
    show(ticked);
    return true;
  }

  if (window.portalOutbox) {
    // outbox.js decides whether the server can be reached, and keeps the answers if not.
    form.addEventListener("outbox:offline", function (event) {
      if (!answerOffline()) { event.preventDefault(); }
    });
  } else {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine !== false) { return; }
      event.preventDefault();
      answerOffline();
    });
  }
})();
