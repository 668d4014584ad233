// The quick-add drink forms ("+ a glass", "+ a 500 ml bottle", another amount), sent in place.
//
// Without this script each is a plain form: post, redirect, message. With it, the form is sent
// with fetch and the server answers JSON (tracker.views.drink_add); the day's total, the
// progress bar and the list change where they are, the status line under the buttons says what
// happened (a live region), and focus stays on the button that was pressed.
//
// Each form carries a submission key; the server stores one drink per key. The key is renewed
// once the answer is in and a moment has passed since the tap, so the next tap is a new drink
// while the second tap of a double tap resends the same key and is stored once. A key whose
// answer never came (no connection) is kept, so sending again cannot store the drink twice.
(function () {
  "use strict";
  var DOUBLE_TAP_MS = 1000;
  var forms = document.querySelectorAll("form[data-drink-form]");
  if (!forms.length) { return; }

  if (!window.fetch || !window.FormData || !window.Promise) {
    // An old browser: the plain forms, with the button disabled once sent (as once.js does).
    forms.forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      });
    });
    return;
  }

  var status = document.querySelector("[data-drinks-status]");
  var errorCount = 0;

  function csrfToken(form) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; the same version 4 UUID from random bytes.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)]
      .join("-");
  }

  function say(text) {
    if (!status) { return; }
    // Emptied first, so the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function clearErrors(form) {
    var next = form.nextElementSibling;
    if (next && next.hasAttribute("data-drink-error")) { next.remove(); }
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
      field.classList.remove("is-invalid");
    });
  }

  // Messages go next to the form that was sent, and are announced (role="alert").
  function showErrors(form, errors) {
    clearErrors(form);
    var messages = [];
    Object.keys(errors).forEach(function (name) {
      messages = messages.concat(errors[name]);
    });
    errorCount += 1;
    var error = document.createElement("p");
    error.id = "drink-error-" + errorCount;
    error.className = "invalid-feedback d-block w-100 mb-0";
    error.setAttribute("role", "alert");
    error.setAttribute("data-drink-error", "");
    error.textContent = messages.join(" ");
    form.after(error);
    Object.keys(errors).forEach(function (name) {
      var field = form.querySelector("input[name=" + name + "]:not([type=hidden])");
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", error.id);
        field.classList.add("is-invalid");
      }
    });
    if (status) { status.textContent = ""; }
  }

  function showTotal(answer) {
    var said = "";
    document.querySelectorAll("[data-drinks-text]").forEach(function (element) {
      element.textContent = answer.text[element.getAttribute("data-drinks-text")];
      said = element.textContent;
    });
    var progress = document.querySelector("[data-drinks-progress]");
    if (progress && answer.target_ml) {
      progress.value = answer.total_ml;
      progress.textContent = answer.percent + "%";
    }
    var reached = document.querySelector("[data-drinks-reached]");
    if (reached) { reached.hidden = !answer.reached; }
    var list = document.querySelector("[data-drinks-list]");
    if (list && answer.item) {
      var template = document.createElement("template");
      template.innerHTML = answer.item.trim();
      list.append(template.content);
      list.hidden = false;
      var none = document.querySelector("[data-drinks-none]");
      if (none) { none.hidden = true; }
    }
    document.dispatchEvent(new CustomEvent("drinks:total", {
      detail: { day: answer.day, totalMl: answer.total_ml },
    }));
    say(said ? answer.message + " " + said + "." : answer.message);
  }

  function send(form) {
    var tappedAt = Date.now();
    var keyField = form.querySelector("input[name=submission_key]");
    form.setAttribute("data-sending", "");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(form) },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // Not an answer for a script (the session ran out, or something failed): let the page
        // go where the server sends it. The key is unchanged, so nothing is stored twice.
        form.removeAttribute("data-sending");
        if (response.redirected) { window.location.assign(response.url); } else { form.submit(); }
        return;
      }
      return response.json().then(function (answer) {
        form.removeAttribute("data-sending");
        if (response.status === 401 && answer.login) {
          window.location.assign(answer.login);
        } else if (answer.saved) {
          clearErrors(form);
          var amount = form.querySelector("input[name=amount_ml]:not([type=hidden])");
          if (amount) { amount.value = ""; }
          showTotal(answer);
          window.setTimeout(function () {
            keyField.value = newKey();
          }, Math.max(0, tappedAt + DOUBLE_TAP_MS - Date.now()));
        } else {
          showErrors(form, answer.errors || {});
        }
      });
    }).catch(function () {
      form.removeAttribute("data-sending");
      showErrors(form, { __all__: [status ? status.getAttribute("data-offline") : ""] });
    });
  }

  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // A tap while the last one is still on its way is the same drink: nothing to send.
      if (form.hasAttribute("data-sending")) { return; }
      send(form);
    });
  });
})();
