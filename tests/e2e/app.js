// What the Next.js frontend does, reduced to functions the browser test calls:
// Axios with `baseURL` = the API origin and `Authorization: Bearer <access>`, and
// socket.io-client's `io(apiOrigin, {auth: {token}})`. Everything answers plain JSON.
(function () {
  "use strict";

  const apiOrigin = new URLSearchParams(window.location.search).get("api");
  const http = axios.create({ baseURL: apiOrigin, timeout: 10000 });
  let accessToken = null;
  let socket = null;
  const received = { message: [], typing: [], presence: [] };
  const waiters = [];
  const upgrades = []; // the transports the connection upgraded to, in order

  http.interceptors.request.use((config) => {
    if (accessToken) config.headers.Authorization = `Bearer ${accessToken}`;
    return config;
  });

  function log(line) {
    document.getElementById("log").textContent += line + "\n";
  }

  // {status, data} for any answer; {status: null, error} when the browser got none
  // (a network failure, or a response CORS did not let the page read).
  async function request(method, url, data) {
    try {
      const response = await http.request({ method, url, data });
      return { status: response.status, data: response.data };
    } catch (error) {
      if (error.response) return { status: error.response.status, data: error.response.data };
      return { status: null, error: error.code || error.message };
    }
  }

  // An event matches when every key of `match` holds the same JSON value.
  function matches(payload, match) {
    return Object.entries(match).every(([key, value]) => JSON.stringify(payload[key]) === JSON.stringify(value));
  }

  function record(event, payload) {
    received[event].push(payload);
    for (const waiter of waiters.slice()) {
      if (waiter.event === event && matches(payload, waiter.match)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(payload);
      }
    }
  }

  function transportName() {
    return socket && socket.io.engine ? socket.io.engine.transport.name : null;
  }

  window.scrapbook = {
    apiOrigin,

    async register(username, email, password) {
      return request("post", "/api/auth/register/", { username, email, password });
    },

    async login(username, password) {
      const answer = await request("post", "/api/auth/login/", { username, password });
      if (answer.status === 200) accessToken = answer.data.access;
      return answer;
    },

    me: () => request("get", "/api/auth/me/"),
    addToWatchlist: (imdbId) => request("post", "/api/watchlist/", { imdb_id: imdbId }),
    watchlist: () => request("get", "/api/watchlist/"),

    // Connects with the access token from `login` (or `token` when given); resolves
    // {connected, first_transport, transport} or {connected: false, error}.
    connect({ transports, token, timeoutMs = 10000 } = {}) {
      const options = { auth: { token: token === undefined ? accessToken : token }, reconnection: false };
      if (transports) options.transports = transports;
      socket = io(apiOrigin, options);
      for (const event of Object.keys(received)) socket.on(event, (payload) => record(event, payload));
      return new Promise((resolve) => {
        let firstTransport = null;
        const timer = setTimeout(() => resolve({ connected: false, error: "timeout" }), timeoutMs);
        socket.io.on("open", () => {
          firstTransport = transportName();
          socket.io.engine.on("upgrade", (transport) => upgrades.push(transport.name));
        });
        socket.on("connect", () => {
          clearTimeout(timer);
          log(`connected over ${transportName()}`);
          resolve({ connected: true, first_transport: firstTransport, transport: transportName() });
        });
        socket.on("connect_error", (error) => {
          clearTimeout(timer);
          resolve({ connected: false, error: error.message });
        });
      });
    },

    // Resolves the transport once the connection runs over a websocket.
    upgraded(timeoutMs = 10000) {
      if (transportName() === "websocket") return Promise.resolve("websocket");
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no upgrade, still on ${transportName()}`)), timeoutMs);
        socket.io.engine.once("upgrade", () => {
          clearTimeout(timer);
          resolve(transportName());
        });
      });
    },

    transport: transportName,
    upgrades: () => upgrades,

    emit(event, payload, timeoutMs = 10000) {
      return socket.timeout(timeoutMs).emitWithAck(event, payload);
    },

    // The first `event` received (before or after this call) that matches `match`.
    waitFor(event, match = {}, timeoutMs = 10000) {
      const seen = received[event].find((payload) => matches(payload, match));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { event, match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          if (!waiters.includes(waiter)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no ${event} matching ${JSON.stringify(match)} within ${timeoutMs} ms`));
        }, timeoutMs);
      });
    },

    received: () => received,

    disconnect() {
      if (socket) socket.disconnect();
    },
  };
})();
