// The browser end-to-end flow: headless Chromium (the system's, never a download) opens
// the page tests/e2e/index.html from the frontend's origin in two browser contexts and
// drives it as two users: register, log in, watchlist, then chat in a movie room, one
// over socket.io-client's default transports (polling, then the upgrade) and one over
// websocket only. A third context on an origin the API does not list must be refused.
//
//   node browser_flow.mjs '<config JSON>'
//   config: {pageUrl, unlistedPageUrl, apiOrigin, imdbId, room, users: [{username, email, password} x2]}
//
// Prints one JSON report on stdout; exits 1 (with `error` in the report) when a step fails.
// CHROMIUM_PATH overrides /usr/bin/chromium.
import { createRequire } from "node:module";

// playwright-core is installed with the chat client's packages in tests/js.
const require = createRequire(new URL("../js/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const config = JSON.parse(process.argv[2]);
const STEP_MS = 10000;
const DEADLINE_MS = 25000;
const report = { steps: [], page_errors: [], console_errors: [] };
const started = Date.now();

function finish(exitCode) {
  report.elapsed_ms = Date.now() - started;
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(exitCode);
}

setTimeout(() => {
  report.error = `deadline of ${DEADLINE_MS} ms passed during ${report.steps.at(-1)}`;
  finish(1);
}, DEADLINE_MS).unref();

// Runs a window.scrapbook function in the page and returns its JSON result.
async function call(page, name, ...args) {
  report.steps.push(`${page.label}.${name} at ${Date.now() - started} ms`);
  return page.evaluate(([name, args]) => window.scrapbook[name](...args), [name, args]);
}

async function openPage(context, label, url) {
  const page = await context.newPage();
  page.label = label;
  page.setDefaultTimeout(STEP_MS);
  page.on("pageerror", (error) => report.page_errors.push(`${label}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") report.console_errors.push(`${label}: ${message.text()}`);
  });
  const response = await page.goto(`${url}?api=${encodeURIComponent(config.apiOrigin)}`);
  if (!response.ok()) throw new Error(`${url} answered ${response.status()}`);
  return page;
}

// One user's way in, as the frontend goes: register, log in, check who we are.
async function signUp(page, user) {
  const register = await call(page, "register", user.username, user.email, user.password);
  const login = await call(page, "login", user.username, user.password);
  const me = await call(page, "me");
  return { register, login: { status: login.status, keys: Object.keys(login.data || {}).sort() }, me };
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    // playwright-core launches with a fresh temporary user-data-dir and removes it afterwards.
    args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    timeout: STEP_MS,
  });
} catch (error) {
  report.error = `launching ${process.env.CHROMIUM_PATH || "/usr/bin/chromium"}: ${error.message}`;
  finish(1);
}

try {
  report.browser_version = browser.version();
  const [alice, bob] = config.users;
  const room = config.room;

  // Context A: the whole REST flow, then chat with socket.io-client's defaults.
  const contextA = await browser.newContext();
  const pageA = await openPage(contextA, "a", config.pageUrl);
  const a = (report.a = await signUp(pageA, alice));
  a.add_to_watchlist = await call(pageA, "addToWatchlist", config.imdbId);
  a.add_again = await call(pageA, "addToWatchlist", config.imdbId);
  a.watchlist = await call(pageA, "watchlist");
  a.connect = await call(pageA, "connect", {});
  a.upgraded_to = await call(pageA, "upgraded");
  a.join = await call(pageA, "emit", "join", { room });

  // Context B: another user, websocket only.
  const contextB = await browser.newContext();
  const pageB = await openPage(contextB, "b", config.pageUrl);
  const b = (report.b = await signUp(pageB, bob));
  b.connect = await call(pageB, "connect", { transports: ["websocket"] });
  b.join = await call(pageB, "emit", "join", { room });

  const everyone = [alice.username, bob.username].sort();
  a.presence = await call(pageA, "waitFor", "presence", { room, users: everyone });
  b.presence = await call(pageB, "waitFor", "presence", { room, users: everyone });

  const fromA = `hello from ${alice.username} over ${a.upgraded_to}`;
  const fromB = `hello from ${bob.username} over websocket`;
  a.sent = await call(pageA, "emit", "message", { room, text: fromA });
  b.received = await call(pageB, "waitFor", "message", { room, text: fromA });
  b.sent = await call(pageB, "emit", "message", { room, text: fromB });
  a.received = await call(pageA, "waitFor", "message", { room, text: fromB });
  b.typing = await call(pageB, "emit", "typing", { room });
  a.typing = await call(pageA, "waitFor", "typing", { room });
  a.transport_at_end = await call(pageA, "transport");
  a.upgrades = await call(pageA, "upgrades");
  b.upgrades = await call(pageB, "upgrades");
  b.transport_at_end = await call(pageB, "transport");

  // Refusals on the frontend's origin: a bad token, on both transports' ways in.
  const refusedPage = await openPage(contextA, "refused", config.pageUrl);
  report.bad_token = {
    default: await call(refusedPage, "connect", { token: "not-a-jwt" }),
    websocket: await call(await openPage(contextA, "refused_ws", config.pageUrl), "connect", {
      token: "not-a-jwt",
      transports: ["websocket"],
    }),
  };

  // The same page from an origin the API does not list: the browser must not let it in.
  const contextC = await browser.newContext();
  const stranger = await openPage(contextC, "unlisted", config.unlistedPageUrl);
  report.unlisted_origin = {
    origin: new URL(config.unlistedPageUrl).origin,
    register: await call(stranger, "register", "stranger", "stranger@example.com", alice.password),
    connect: await call(stranger, "connect", {}),
  };

  await call(pageA, "disconnect");
  await call(pageB, "disconnect");
} catch (error) {
  report.error = `${report.steps.at(-1)}: ${error.message}`;
}
// A browser that hangs on closing is killed by playwright-core when the process exits.
await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 3000))]);
finish(report.error ? 1 : 0);
