// A "Print" button (data-print) opens the browser's print dialogue. The button stays hidden
// without this script, since it could do nothing; printing from the browser's menu still works.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
