// The one hash router: "#name/arg/…" calls routes[name](...args); an unknown or empty hash
// goes to the fallback route. Each dispatch gets a ticket, so a slow answer for a route the
// person has already left never paints over the one they are on.

export function hashRouter(routes, { fallback, before = () => {} }) {
  let ticket = 0;

  function dispatch() {
    const [name, ...args] = location.hash.slice(1).split("/").map(decodeURIComponent);
    const mine = ++ticket;
    const current = () => mine === ticket;
    const route = routes[name] ? name : fallback;
    before(route);
    return routes[route]({ current, args }, ...args);
  }

  return {
    start() {
      window.addEventListener("hashchange", dispatch);
      return dispatch();
    },
    dispatch,
    // Moves to a route at once (no waiting for `hashchange`), keeping the back button.
    go(hash) {
      if (location.hash.slice(1) !== hash) {
        history.pushState(null, "", hash ? `#${hash}` : location.pathname + location.search);
      }
      return dispatch();
    },
  };
}
