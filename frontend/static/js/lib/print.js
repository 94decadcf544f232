// The print button of a printable document (poster, rectification report): a file, not an
// onclick attribute, because the Content-Security-Policy runs no inline script.
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
