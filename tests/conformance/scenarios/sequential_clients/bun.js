// Three clients, one after the other (the next connects from the previous one's close handler).
// The listener's handlers name each accepted socket by its accept order through socket.data, and
// greet it by the name it sends.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

let accepted = 0;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { s.data = "server" + ++accepted; say(s.data, "open"); },
    data(s, d) { sayData(s.data, d); sayRc(s.data, "write", s.write("hello " + d)); },
    end(s) { say(s.data, "end"); },
    close(s, e) { sayErr(s.data, "close", e); if (accepted === 3) server.stop(); },
  },
});

function client(i) {
  const name = "client" + i;
  connect({
    hostname: "127.0.0.1",
    port: server.port,
    data: name,
    socket: {
      open(s) { say(s.data, "open"); sayRc(s.data, "write", s.write(s.data)); },
      data(s, d) { sayData(s.data, d); s.close(); },
      close(s, e) { sayErr(s.data, "close", e); if (i < 3) client(i + 1); },
    },
  });
}
client(1);
