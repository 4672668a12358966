// The yardstick of bench/chat.py: a bare Node socket.io server that speaks the chat's
// events (join, leave, message with acks) and broadcasts each message to its room, with
// no authentication, storage, validation, rate limit or presence.
//
//   node bench/chat_bare_server.mjs <port>
//
// Prints "listening <port>" once it accepts connections. socket.io comes from tests/js.
import { createServer } from "node:http";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/js/package.json", import.meta.url));
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const httpServer = createServer();
const io = new Server(httpServer, { cors: { origin: "*" } });
let lastId = 0;

io.on("connection", (socket) => {
  const user = { id: socket.id, username: "bench" };
  socket.join("lobby");
  socket.on("join", ({ room }, ack) => {
    socket.join(room);
    ack?.({ ok: true, room, members: [], history: [] });
  });
  socket.on("leave", ({ room }, ack) => {
    socket.leave(room);
    ack?.({ ok: true, room });
  });
  socket.on("message", (payload, ack) => {
    const { room = "lobby", text } = typeof payload === "string" ? { text: payload } : payload;
    const message = { id: ++lastId, room, user, text: text.trim(), created_at: new Date().toISOString() };
    io.to(room).emit("message", message);
    ack?.({ ok: true, message });
  });
});

httpServer.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
