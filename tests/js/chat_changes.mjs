// The frontend's side of editing, deleting and reading, for the tests: socket.io-client with
// its defaults (HTTP long-polling, then the upgrade to a websocket).
//
//   node chat_changes.mjs <url> <token> <room> <unknown movie room>
//
// Joins the room, sends a message, edits it, reads up to it, deletes it, then tries to join
// the unknown movie room. Prints one JSON object on stdout: every acknowledgement and the
// message_edited / message_deleted events this socket received.
import { io } from "socket.io-client";

const [url, token, room, unknownMovieRoom] = process.argv.slice(2);
const DEADLINE_MS = 15000;

const socket = io(url, { auth: { token }, reconnection: false, timeout: DEADLINE_MS });
setTimeout(() => finish({ error: "deadline passed" }, 1), DEADLINE_MS).unref();

function finish(result, exitCode = 0) {
  process.stdout.write(JSON.stringify(result) + "\n");
  socket.disconnect();
  process.exit(exitCode);
}

function arrival(event) {
  return new Promise((resolve) => socket.once(event, resolve));
}

const call = (event, payload) => socket.timeout(DEADLINE_MS).emitWithAck(event, payload);

socket.on("connect_error", (error) => finish({ connected: false, error: error.message }, 1));

socket.on("connect", async () => {
  try {
    const result = { join: await call("join", { room }) };
    result.sent = await call("message", { room, text: "typo from js" });
    const edited = arrival("message_edited");
    result.edit = await call("edit", { id: result.sent.message.id, text: "fixed from js" });
    result.message_edited = await edited;
    result.read = await call("read", { room, last_read_id: result.sent.message.id });
    const deleted = arrival("message_deleted");
    result.delete = await call("delete", { id: result.sent.message.id });
    result.message_deleted = await deleted;
    result.unknown_movie = await call("join", { room: unknownMovieRoom });
    finish(result);
  } catch (error) {
    finish({ error: String(error) }, 1);
  }
});
