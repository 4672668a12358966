// The frontend's side of the chat, for the tests: socket.io-client with its defaults
// (HTTP long-polling, then the upgrade to a websocket).
//
//   node chat_client.mjs <url> <token> [room] [text to send] [text to wait for]
//
// Connects, and with a room joins it, sends the text, and waits for a message carrying
// the awaited text. Prints one JSON object on stdout with what happened, then exits:
// {connected, first_transport, transport, join, sent, received} or
// {connected: false, error} when the server refuses the connection.
import { io } from "socket.io-client";

const [url, token, room, textToSend, textToAwait] = process.argv.slice(2);
const DEADLINE_MS = 15000;

function finish(result, exitCode = 0) {
  process.stdout.write(JSON.stringify(result) + "\n");
  socket.disconnect();
  process.exit(exitCode);
}

const socket = io(url, { auth: { token }, reconnection: false, timeout: DEADLINE_MS });
setTimeout(() => finish({ error: "deadline passed" }, 1), DEADLINE_MS).unref();

const received = [];
let awaitedMessage = null;
const messageArrived = new Promise((resolve) => {
  awaitedMessage = resolve;
});
socket.on("message", (message) => {
  received.push(message);
  if (message.text === textToAwait) awaitedMessage(message);
});

// The transport the connection opened with, and the upgrade that follows it.
let firstTransport = null;
const upgraded = new Promise((resolve) => {
  socket.io.on("open", () => {
    firstTransport = socket.io.engine.transport.name;
    if (firstTransport === "websocket") resolve();
    socket.io.engine.once("upgrade", resolve);
  });
});

socket.on("connect_error", (error) => finish({ connected: false, error: error.message }));

socket.on("connect", async () => {
  await upgraded;
  const result = { connected: true, first_transport: firstTransport, transport: socket.io.engine.transport.name };
  if (!room) finish(result);
  try {
    result.join = await socket.timeout(DEADLINE_MS).emitWithAck("join", { room });
    result.sent = await socket.timeout(DEADLINE_MS).emitWithAck("message", { room, text: textToSend });
    result.received = await messageArrived;
    result.all_received = received;
    finish(result);
  } catch (error) {
    finish({ ...result, error: String(error) }, 1);
  }
});
