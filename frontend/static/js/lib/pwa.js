// Installs the service worker and shows when the phone is offline. Loaded by every page.

// After the page has loaded: on a slow network the shell's precache must not compete with
// what the person is waiting for.
// The worker precaches the farmer's pages when it installs; any other page asks for its own
// section, so the staff shell or the field app opens offline once it has been opened online.
function register() {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  navigator.serviceWorker.ready.then((reg) =>
    reg.active?.postMessage({ type: "precache", path: location.pathname }),
  );
}
if ("serviceWorker" in navigator) {
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
}

function showNetwork() {
  const badge = document.getElementById("net-state");
  if (badge) badge.hidden = navigator.onLine;
}
window.addEventListener("online", showNetwork);
window.addEventListener("offline", showNetwork);
showNetwork();
