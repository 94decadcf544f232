// Installs the service worker and shows when the phone is offline.

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

function showNetwork() {
  const badge = document.getElementById("net-state");
  if (badge) badge.hidden = navigator.onLine;
}
window.addEventListener("online", showNetwork);
window.addEventListener("offline", showNetwork);
document.addEventListener("DOMContentLoaded", showNetwork);
