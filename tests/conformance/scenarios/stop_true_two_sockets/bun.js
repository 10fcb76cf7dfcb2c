// Two clients connected (the second connects once the first got the server's "ack"); when the
// second one's message arrives, the server calls stop(true): both accepted sockets close (their
// close handlers run inside stop), both clients see end and close.
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

let accepted = 0;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { s.data = "server" + ++accepted; say(s.data, "open"); if (accepted === 1) s.write("ack"); },
    data(s, d) { sayData(s.data, d); server.stop(true); say(s.data, "stop(true) returned"); },
    end(s) { say(s.data, "end"); },
    close(s, e) { sayErr(s.data, "close", e); },
  },
});

const handlers = {
  open(s) { say(s.data, "open"); if (s.data === "client2") s.write("stop now"); },
  data(s, d) { sayData(s.data, d); client("client2"); },
  end(s) { say(s.data, "end"); },
  close(s, e) { sayErr(s.data, "close", e); },
};
function client(name) {
  connect({ hostname: "127.0.0.1", port: server.port, data: name, socket: handlers });
}
client("client1");
