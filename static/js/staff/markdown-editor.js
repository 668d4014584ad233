// The admin's Markdown editor (education.widgets.MarkdownEditor): a toolbar over the textarea,
// the portal's own preview beside it and the draft's reading age under it, updated as the
// editor writes. The textarea stays the form's field, so nothing typed can be lost here, and
// without this script the form is a plain tall textarea that works the same.
//
// The preview is rendered and sanitised by the server (education:draft_preview): what shows here
// is what the site will show, and the page's policy (no inline script) holds.

const WAIT_AFTER_TYPING_MS = 800;

function csrfToken(form) {
  const field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

function enhance(root) {
  const textarea = root.querySelector("textarea[data-markdown-editor]");
  const parts = root.querySelector("template.markdown-editor-parts");
  if (!textarea || !parts || root.classList.contains("is-enhanced")) return;

  const content = parts.content.cloneNode(true);
  const toolbar = content.querySelector(".markdown-editor-toolbar");
  const preview = content.querySelector(".markdown-editor-preview");
  const previewBody = content.querySelector(".markdown-editor-preview-body");
  const status = content.querySelector(".markdown-editor-status");
  const reading = content.querySelector(".markdown-editor-reading");
  const hardest = content.querySelector(".markdown-editor-hardest");
  const hardestList = hardest.querySelector("ol");

  const panes = document.createElement("div");
  panes.className = "markdown-editor-panes";
  textarea.replaceWith(panes);
  panes.append(textarea, preview);
  root.prepend(toolbar);
  root.append(status);
  root.classList.add("is-enhanced");

  let timer = null;
  let latest = 0;

  function showError(message) {
    reading.dataset.verdict = "error";
    reading.textContent = message;
  }

  async function refresh() {
    const asked = ++latest;
    if (textarea.value.length > Number(textarea.dataset.maxChars)) {
      showError(root.dataset.msgTooLong);
      return;
    }
    reading.setAttribute("aria-busy", "true");
    root.classList.add("is-updating");
    try {
      const response = await fetch(textarea.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(textarea.form), Accept: "application/json" },
        body: new URLSearchParams({ text: textarea.value }),
        redirect: "manual",
      });
      if (asked !== latest) return;
      const type = response.headers.get("Content-Type") || "";
      // Signed out (a redirect to the login page) or a stale page (the CSRF check's 403).
      if (response.type === "opaqueredirect" || response.status === 403) {
        showError(root.dataset.msgSignedOut);
        return;
      }
      if (!type.includes("application/json")) {
        showError(root.dataset.msgFailed);
        return;
      }
      const data = await response.json();
      if (asked !== latest) return;
      if (!response.ok) {
        showError(data.error || root.dataset.msgFailed);
        return;
      }
      previewBody.innerHTML = data.html;
      reading.dataset.verdict = data.verdict;
      reading.textContent = data.summary;
      hardestList.replaceChildren(
        ...data.hardest.map((sentence) => {
          const item = document.createElement("li");
          item.textContent = sentence;
          return item;
        }),
      );
      hardest.hidden = data.verdict !== "above" || data.hardest.length === 0;
    } catch {
      if (asked === latest) showError(root.dataset.msgFailed);
    } finally {
      if (asked === latest) {
        reading.removeAttribute("aria-busy");
        root.classList.remove("is-updating");
      }
    }
  }

  textarea.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, WAIT_AFTER_TYPING_MS);
  });
  refresh();
}

function enhanceAll() {
  for (const root of document.querySelectorAll("[data-markdown-editor-root]")) enhance(root);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", enhanceAll);
} else {
  enhanceAll();
}
