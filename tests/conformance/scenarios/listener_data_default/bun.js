// The listener's data is every accepted socket's initial data; a socket can replace its own; the
// client's data comes from the connect options. Every handler prints the socket's data.
import { say, sayErr, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  data: "listener-data",
  socket: {
    open(s) {
      say("server open", s.data);
      s.data = "socket-data";
    },
    data(s, d) { say("server data", s.data); },
    end(s) { say("server end", s.data); },
    close(s, e) { say("server close", s.data); server.stop(); },
  },
});
say("server listener data", server.data);

connect({
  hostname: "127.0.0.1",
  port: server.port,
  data: "client-data",
  socket: {
    open(s) { say("client open", s.data); s.end("x"); },
    data(s, d) { say("client data", s.data); },
    close(s, e) { say("client close", s.data); },
  },
});
