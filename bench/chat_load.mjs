// The load of bench/chat.py: N socket.io-client websocket connections in one room, and
// messages sent at a steady rate round-robin by those clients; every client measures the
// delay from send to delivery. One process, so every timestamp comes from one clock.
//
//   node bench/chat_load.mjs '<json options>'
//   options: {url, tokens_file (a JSON list of N access tokens), room, rate (messages/s),
//             warmup (s), duration (s), drain (s),
//             rates (optional: a list of rates, one step each on the same connections),
//             stop_p99_ms (optional: the ramp stops after a step above it or losing messages)}
//
// Prints one JSON object per step, one per line: deliveries per second in the measured
// window, latency percentiles of the messages sent in it, and what went wrong (refusals,
// losses). A step is `warmup` seconds of load, then `duration` measured seconds, then at
// most `drain` seconds waiting for the measured messages.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(new URL("../tests/js/package.json", import.meta.url));
const { io } = require("socket.io-client");

const options = JSON.parse(process.argv[2]);
const { url, room, warmup, duration, drain = 5 } = options;
const tokens = JSON.parse(readFileSync(options.tokens_file, "utf8"));
const CONNECT_BATCH = 25;
const TICK_MS = 5;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(token) {
  const socket = io(url, {
    transports: ["websocket"],
    auth: { token },
    reconnection: false,
    forceNew: true,
    timeout: 20000,
  });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const joined = await socket.timeout(20000).emitWithAck("join", { room });
  if (!joined.ok) throw new Error(`join refused: ${JSON.stringify(joined)}`);
  return socket;
}

// Measurement state of the current step: messages are "bench <seq> <sent at>"; those with
// seq >= firstMeasured and < endMeasured are the measured ones.
let firstMeasured = Infinity;
let endMeasured = Infinity;
let windowStart = Infinity;
let windowEnd = Infinity;
let latencies = [];
let deliveredInWindow = 0;
let measuredDeliveries = 0;

function onMessage(message) {
  const now = performance.now();
  if (now >= windowStart && now < windowEnd) deliveredInWindow += 1;
  const [, seqText, sentText] = message.text.split(" ");
  const seq = Number(seqText);
  if (seq >= firstMeasured && seq < endMeasured) {
    measuredDeliveries += 1;
    latencies.push(now - Number(sentText));
  }
}

const started = performance.now();
const sockets = [];
for (let i = 0; i < tokens.length; i += CONNECT_BATCH) {
  sockets.push(...(await Promise.all(tokens.slice(i, i + CONNECT_BATCH).map(connect))));
}
const connectSeconds = (performance.now() - started) / 1000;
for (const socket of sockets) socket.on("message", onMessage);

let seq = 0;
let refusals = {};
let ackErrors = 0;
let acked = 0;
function send() {
  const socket = sockets[seq % sockets.length];
  const text = `bench ${seq} ${performance.now()}`;
  seq += 1;
  socket
    .timeout(20000)
    .emitWithAck("message", { room, text })
    .then((ack) => {
      if (ack.ok) acked += 1;
      else refusals[ack.error] = (refusals[ack.error] ?? 0) + 1;
    })
    .catch(() => {
      ackErrors += 1;
    });
}

// Send at a steady rate: each tick sends what the schedule says is due by now.
async function sendFor(seconds, rate) {
  const begin = performance.now();
  const sentBefore = seq;
  while (performance.now() - begin < seconds * 1000) {
    const due = Math.floor(((performance.now() - begin) / 1000) * rate);
    while (seq - sentBefore < due) send();
    await sleep(TICK_MS);
  }
}

const round = (value) => (value === null ? null : Math.round(value * 10) / 10);

async function step(rate) {
  latencies = [];
  deliveredInWindow = 0;
  measuredDeliveries = 0;
  refusals = {};
  ackErrors = 0;
  acked = 0;
  firstMeasured = endMeasured = windowStart = windowEnd = Infinity;
  await sendFor(warmup, rate);
  firstMeasured = seq;
  windowStart = performance.now();
  windowEnd = windowStart + duration * 1000;
  // bench/chat.py reads these two lines to measure the server's CPU time in the window.
  process.stderr.write("window start\n");
  await sendFor(duration, rate);
  endMeasured = seq;
  process.stderr.write("window end\n");
  const expected = (endMeasured - firstMeasured) * sockets.length;
  const drainUntil = performance.now() + drain * 1000;
  while (measuredDeliveries < expected && performance.now() < drainUntil) await sleep(20);

  latencies.sort((a, b) => a - b);
  const percentile = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : null;
  return {
    clients: sockets.length,
    rate,
    connect_seconds: round(connectSeconds),
    messages_measured: endMeasured - firstMeasured,
    deliveries_per_second: Math.round(deliveredInWindow / duration),
    expected_deliveries: expected,
    measured_deliveries: measuredDeliveries,
    lost: expected - measuredDeliveries,
    p50_ms: round(percentile(50)),
    p99_ms: round(percentile(99)),
    max_ms: round(latencies.length ? latencies[latencies.length - 1] : null),
    acked,
    refusals,
    ack_errors: ackErrors,
  };
}

const stopP99 = options.stop_p99_ms ?? Infinity;
for (const rate of options.rates ?? [options.rate]) {
  const result = await step(rate);
  process.stdout.write(JSON.stringify(result) + "\n");
  const refused = Object.keys(result.refusals).length > 0 || result.ack_errors > 0;
  if (result.lost > 0 || refused || !(result.p99_ms <= stopP99)) break;
  // Let a backlog of the step before drain, so that each step starts from an idle server.
  await sleep(1000);
}
for (const socket of sockets) socket.disconnect();
process.exit(0);
