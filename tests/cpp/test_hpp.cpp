/* test_hpp: include/bun_tcp.hpp drives a real server and client on loopback, in one loop.
 *
 * Cases: exact event order with member-function handlers and per-socket state; the same with
 * lambdas (Callbacks), where an unset on_end is really unregistered; move semantics of Loop and
 * Listener (a moved-from owner does nothing when destroyed; move-assignment stops the old
 * listener); 8 MiB echoed with short writes and drain, checked with SHA-256; errors as codes;
 * sockets kept by stop(false) still reach their App; freeing the Loop first runs close handlers. */
#include "harness.h"

#include <bun_tcp.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using bun_tcp::Bytes;
using bun_tcp::Callbacks;
using bun_tcp::Listener;
using bun_tcp::Loop;
using bun_tcp::Socket;

namespace {

/* "open,data:hello,end,close": consecutive data calls extend one entry, as in harness.h. */
struct Trace {
  std::string text;
  bool last_was_data = false;
  void add(std::string_view event) {
    if (!text.empty()) text += ',';
    text += event;
    last_was_data = false;
  }
  void data(Bytes b, bool contents = true) {
    if (!last_was_data) add(contents ? "data:" : "data");
    if (contents) text += b.view();
    last_was_data = true;
  }
  void close(const bun_tcp_error *err) {
    add(err ? std::string("close_err:") + err->name : std::string("close"));
  }
};

#define CHECK_OK_CPP(expr)                                                                         \
  do {                                                                                             \
    bun_tcp::Error _err = (expr);                                                                  \
    if (_err) FAIL("%s: %s (%s)", #expr, _err.name(), _err.detail().c_str());                      \
  } while (0)

/* Unwraps a Result, failing the test with the error's name and message. */
template <class T>
T must(bun_tcp::Result<T> r, const char *what) {
  if (!r) FAIL("%s: %s (%s)", what, r.error().name(), r.error().detail().c_str());
  return std::move(r).value();
}

Loop make_loop() { return must(Loop::create(), "Loop::create"); }

bun_tcp_listen_options loopback() {
  bun_tcp_listen_options o{};
  o.hostname = "127.0.0.1";
  return o;
}

bun_tcp_connect_options to(uint16_t port) {
  bun_tcp_connect_options o{};
  o.hostname = "127.0.0.1";
  o.port = port;
  return o;
}

/* ---- member-function handlers --------------------------------------------------------------- */

struct Conn {  // the server's per-connection state, in the socket's data slot
  Trace trace;
};

// Echoes, and ends when the peer ends.
struct EchoServer {
  std::vector<std::string> finished;  // traces of closed connections
  int slot_not_empty_at_open = 0;
  size_t bytes_in = 0;

  void on_open(Socket s) {
    if (s.data<Conn>() != nullptr) slot_not_empty_at_open++;
    auto *conn = new Conn;
    conn->trace.add("open");
    CHECK_OK_CPP(s.set_data(conn));
  }
  void on_data(Socket s, Bytes b) {
    s.data<Conn>()->trace.data(b);
    bytes_in += b.size();
    CHECK_EQ(must(s.write_all(b), "write_all"), b.size());
  }
  void on_end(Socket s) {
    s.data<Conn>()->trace.add("end");
    CHECK_EQ(must(s.end(), "end"), 0);
  }
  void on_close(Socket s, const bun_tcp_error *err) {
    Conn *conn = s.data<Conn>();
    conn->trace.close(err);
    finished.push_back(conn->trace.text);
    delete conn;
  }
};

// Sends `message`, ends once it came back.
struct HelloClient {
  std::string message;
  std::string echoed;
  Trace trace;
  bool closed = false;

  void on_open(Socket s) {
    trace.add("open");
    CHECK_EQ(must(s.write(message), "write"), message.size());
  }
  void on_data(Socket s, Bytes b) {
    trace.data(b);
    echoed += b.view();
    if (echoed.size() == message.size()) CHECK_EQ(must(s.end(), "end"), 0);
  }
  void on_end(Socket) { trace.add("end"); }
  void on_close(Socket, const bun_tcp_error *err) {
    trace.close(err);
    closed = true;
  }
};

void member_function_handlers() {
  test_case("member functions: open, data, end, close on both sides; per-socket data");
  EchoServer server;
  HelloClient client;
  client.message = "hello";
  Loop loop = make_loop();
  Listener listener = must(bun_tcp::listen(loop, loopback(), server), "listen");
  CHECK(listener.port() > 0);
  Socket s = must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  CHECK_EQ(s.ready_state(), BUN_TCP_STATE_CONNECTING);
  CHECK(s.data<HelloClient>() == &client);  // a client socket's data slot holds its App

  RUN_UNTIL(loop.native(), client.closed && server.finished.size() == 1);
  CHECK_STR(client.trace.text.c_str(), "open,data:hello,end,close");
  CHECK_STR(server.finished[0].c_str(), "open,data:hello,end,close");
  CHECK_EQ(server.slot_not_empty_at_open, 0);
  CHECK_EQ(s.ready_state(), BUN_TCP_STATE_CLOSED);
}

/* ---- lambdas --------------------------------------------------------------------------------- */

void lambda_handlers() {
  test_case("lambdas: the same exchange; an unset on_end is unregistered (FIN closes)");
  Trace server_trace, client_trace;
  int server_closes = 0;
  bool client_closed = false;

  Callbacks server;  // no on_end: the peer's FIN closes the socket, as in C without `end`
  server.on_open = [&](Socket) { server_trace.add("open"); };
  server.on_data = [&](Socket s, Bytes b) {
    server_trace.data(b);
    CHECK_EQ(must(s.write(b), "server write"), b.size());
  };
  server.on_close = [&](Socket, const bun_tcp_error *err) {
    server_trace.close(err);
    server_closes++;
  };

  std::string echoed;
  Callbacks client;
  client.on_open = [&](Socket s) {
    client_trace.add("open");
    CHECK_EQ(must(s.write("ping"), "client write"), 4);
  };
  client.on_data = [&](Socket s, Bytes b) {
    client_trace.data(b);
    echoed += b.view();
    if (echoed == "ping") CHECK_EQ(must(s.end(), "end"), 0);
  };
  client.on_end = [&](Socket) { client_trace.add("end"); };
  client.on_close = [&](Socket, const bun_tcp_error *err) {
    client_trace.close(err);
    client_closed = true;
  };

  Loop loop = make_loop();
  Listener listener = must(bun_tcp::listen(loop, loopback(), std::move(server)), "listen");
  (void)must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  RUN_UNTIL(loop.native(), client_closed && server_closes == 1);
  CHECK_STR(server_trace.text.c_str(), "open,data:ping,close");
  CHECK_STR(client_trace.text.c_str(), "open,data:ping,end,close");
}

/* ---- move semantics -------------------------------------------------------------------------- */

// Counts what a listener's sockets see; closes none itself.
struct Counter {
  int opened = 0, closed = 0;
  Socket last;
  void on_open(Socket s) {
    opened++;
    last = s;
  }
  void on_data(Socket, Bytes) {}
  void on_close(Socket, const bun_tcp_error *) { closed++; }
};

void move_semantics() {
  test_case("moves: a moved-from Loop or Listener does nothing when destroyed");
  std::optional<Loop> loop;
  {
    Loop first = make_loop();
    bun_tcp_loop *raw = first.native();
    loop.emplace(std::move(first));
    CHECK(first.native() == nullptr);
    CHECK(loop->native() == raw);
  }  // `first` is destroyed here: the loop must survive
  Loop other = make_loop();
  other = std::move(*loop);  // frees other's own loop, takes this one
  CHECK(loop->native() == nullptr);

  Counter first_app, second_app, client_app;
  std::optional<Listener> holder;
  {
    Listener first = must(bun_tcp::listen(other, loopback(), first_app), "listen first");
    holder.emplace(std::move(first));
    CHECK_EQ(first.native().id, 0);
  }  // the moved-from Listener is destroyed: the listener must keep listening
  CHECK_EQ(other.listener_count(), 1);
  Socket client = must(bun_tcp::connect(other, to(holder->port()), client_app), "connect");
  RUN_UNTIL(other.native(), first_app.opened == 1 && client_app.opened == 1);

  test_case("moves: move-assigning a Listener stops the old one and closes its sockets");
  Listener second = must(bun_tcp::listen(other, loopback(), second_app), "listen second");
  uint16_t second_port = second.port();
  CHECK_EQ(other.listener_count(), 2);
  *holder = std::move(second);
  CHECK_EQ(first_app.closed, 1);  // closed inside the assignment
  CHECK_EQ(other.listener_count(), 1);
  CHECK_EQ(holder->port(), second_port);
  RUN_UNTIL(other.native(), client_app.closed == 1);
  CHECK_EQ(client.ready_state(), BUN_TCP_STATE_CLOSED);

  holder.reset();
  CHECK_EQ(other.listener_count(), 0);
  CHECK_EQ(second_app.opened, 0);
}

/* ---- 8 MiB: short writes, drain, SHA-256 ----------------------------------------------------- */

constexpr size_t kBig = 8u << 20;
constexpr size_t kHighWater = 1u << 20;

// Echoes with write_all; stops reading while more than kHighWater waits to be sent.
struct BackpressureEcho {
  int drains = 0, closes = 0;
  void on_data(Socket s, Bytes b) {
    (void)must(s.write_all(b), "echo write_all");
    if (s.buffered_amount() > kHighWater) CHECK_OK_CPP(s.pause());
  }
  void on_drain(Socket s) {
    drains++;
    CHECK_OK_CPP(s.resume());
  }
  void on_end(Socket s) { (void)must(s.end(), "echo end"); }
  void on_close(Socket, const bun_tcp_error *err) {
    CHECK(err == nullptr);
    closes++;
  }
};

// Sends `payload` with plain write (resending the rest from on_drain), hashes the echo.
struct BigSender {
  std::vector<uint8_t> payload;
  size_t sent = 0, received = 0;
  int short_writes = 0, drains = 0;
  sha256_ctx echo_hash;
  Trace trace;
  bool closed = false;

  void send_more(Socket s) {
    while (sent < payload.size()) {
      Bytes rest = Bytes(payload).subspan(sent);
      size_t n = must(s.write(rest), "write");
      CHECK_CMP(n, <=, rest.size());
      sent += n;
      if (n < rest.size()) {
        short_writes++;
        return;  // on_drain resumes
      }
    }
  }
  void on_open(Socket s) {
    trace.add("open");
    send_more(s);
  }
  void on_drain(Socket s) {
    drains++;
    send_more(s);
  }
  void on_data(Socket s, Bytes b) {
    trace.data(b, false);
    sha256_update(&echo_hash, b.data(), b.size());
    received += b.size();
    if (received == payload.size()) (void)must(s.end(), "end");
  }
  void on_end(Socket) { trace.add("end"); }
  void on_close(Socket, const bun_tcp_error *err) {
    trace.close(err);
    closed = true;
  }
};

void big_echo() {
  test_case("8 MiB echoed: write returns short counts, drain resumes, SHA-256 matches");
  BackpressureEcho server;
  BigSender client;
  client.payload.resize(kBig);
  stream_fill(7, 0, client.payload.data(), kBig);
  sha256_init(&client.echo_hash);

  Loop loop = make_loop();
  Listener listener = must(bun_tcp::listen(loop, loopback(), server), "listen");
  (void)must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  RUN_UNTIL_MS(loop.native(), client.closed && server.closes == 1, 60000);

  uint8_t sent_digest[32], echo_digest[32];
  sha256_ctx sent_hash;
  sha256_init(&sent_hash);
  sha256_update(&sent_hash, client.payload.data(), kBig);
  sha256_final(&sent_hash, sent_digest);
  sha256_final(&client.echo_hash, echo_digest);
  char sent_hex[65], echo_hex[65];
  sha256_hex(sent_digest, sent_hex);
  sha256_hex(echo_digest, echo_hex);
  printf("    %d short writes, %d client drains, %d server drains\n", client.short_writes,
         client.drains, server.drains);
  CHECK_EQ(client.sent, kBig);
  CHECK_EQ(client.received, kBig);
  CHECK_STR(echo_hex, sent_hex);
  CHECK_CMP(client.short_writes, >=, 1);
  CHECK_EQ(client.drains, client.short_writes);  // one drain per short write, no spurious one
  CHECK_STR(client.trace.text.c_str(), "open,data,end,close");
}

/* ---- errors ---------------------------------------------------------------------------------- */

// Records a failed connect.
struct Refused {
  int connect_errors = 0, opens = 0, closes = 0;
  int32_t code = 0;
  std::string name, syscall;
  void on_open(Socket) { opens++; }
  void on_data(Socket, Bytes) {}
  void on_close(Socket, const bun_tcp_error *) { closes++; }
  void on_connect_error(Socket, const bun_tcp_error &err) {
    connect_errors++;
    code = err.code;
    name = err.name;
    syscall = err.syscall ? err.syscall : "";
  }
};

void errors_are_codes() {
  Loop loop = make_loop();
  Counter app;

  test_case("errors: listen on a port in use returns -EADDRINUSE");
  Listener taken = must(bun_tcp::listen(loop, loopback(), app), "listen");
  bun_tcp_listen_options same = loopback();
  same.port = taken.port();
  auto in_use = bun_tcp::listen(loop, same, app);
  CHECK(!in_use.ok());
  CHECK_EQ(in_use.error().code(), -EADDRINUSE);
  CHECK_STR(in_use.error().name(), "EADDRINUSE");
  CHECK(!in_use.error().detail().empty());  // the failed call's message came along
  CHECK_EQ(loop.listener_count(), 1);

  test_case("errors: bad arguments come back as codes, before anything fires");
  bun_tcp_listen_options bad_host = loopback();
  bad_host.hostname = "not a host name!";
  CHECK_EQ(bun_tcp::listen(loop, bad_host, app).error().code(), BUN_TCP_EINVALHOST);
  bun_tcp_listen_options with_data = loopback();
  with_data.data = &app;  // the wrapper owns this slot
  CHECK_EQ(bun_tcp::listen(loop, with_data, app).error().code(), BUN_TCP_EINVAL);
  Callbacks nothing_to_call;  // neither on_data nor on_drain: refused, as in C
  nothing_to_call.on_open = [](Socket) { FAIL("must not be called"); };
  CHECK_EQ(bun_tcp::listen(loop, loopback(), nothing_to_call).error().code(), BUN_TCP_EINVAL);

  test_case("errors: a refused connect fires on_connect_error only");
  uint16_t closed_port = taken.port();
  taken = must(bun_tcp::listen(loop, loopback(), app), "listen again");  // frees closed_port
  Refused refused;
  Socket s = must(bun_tcp::connect(loop, to(closed_port), refused), "connect");
  RUN_UNTIL(loop.native(), refused.connect_errors == 1);
  run_for(loop.native(), 50);
  CHECK_EQ(refused.code, -ECONNREFUSED);
  CHECK_STR(refused.name.c_str(), "ECONNREFUSED");
  CHECK_STR(refused.syscall.c_str(), "connect");
  CHECK_EQ(refused.opens + refused.closes, 0);

  test_case("errors: calls on a closed or zero socket fail with BUN_TCP_ECLOSED");
  CHECK_EQ(s.write("x").error().code(), BUN_TCP_ECLOSED);
  CHECK_EQ(s.close().code(), BUN_TCP_ECLOSED);
  CHECK_EQ(Socket().end().error().code(), BUN_TCP_ECLOSED);
  CHECK_EQ(Socket().remote_port().error().code(), BUN_TCP_ECLOSED);
  CHECK(Socket().data<int>() == nullptr);
  CHECK(Socket().tls_version().empty());
}

/* ---- after stop(false), kept sockets reach the App; ~Listener closes them -------------------- */

void stop_keep_active() {
  test_case("stop(false): kept sockets still reach the App; ~Listener closes them");
  EchoServer server;
  Loop loop = make_loop();
  std::optional<Listener> listener;
  listener.emplace(must(bun_tcp::listen(loop, loopback(), server), "listen"));
  Counter idle_app;  // stays connected and silent
  (void)must(bun_tcp::connect(loop, to(listener->port()), idle_app), "connect idle");
  RUN_UNTIL(loop.native(), idle_app.opened == 1);

  CHECK_OK_CPP(listener->stop(false));
  CHECK_EQ(loop.listener_count(), 0);
  // The kept socket echoes: its handlers find the App through the stopped listener.
  CHECK_EQ(must(idle_app.last.write("ping"), "write"), 4);
  RUN_UNTIL(loop.native(), server.bytes_in == 4);
  Refused refused;  // and no new connection is accepted
  (void)must(bun_tcp::connect(loop, to(listener->port()), refused), "connect after stop");
  RUN_UNTIL(loop.native(), refused.connect_errors == 1);

  CHECK(server.finished.empty());
  listener.reset();
  CHECK_EQ(server.finished.size(), 1);  // closed inside the destructor, with its App
  CHECK_STR(server.finished[0].c_str(), "open,data:ping,close");
  RUN_UNTIL(loop.native(), idle_app.closed == 1);
}

/* ---- the Loop destroyed before its Listener -------------------------------------------------- */

void loop_freed_first() {
  test_case("~Loop closes open sockets with their App; the Listener left behind is inert");
  EchoServer server;
  Counter client;
  std::optional<Loop> loop(make_loop());
  std::optional<Listener> listener;
  listener.emplace(must(bun_tcp::listen(*loop, loopback(), server), "listen"));
  (void)must(bun_tcp::connect(*loop, to(listener->port()), client), "connect");
  RUN_UNTIL(loop->native(), client.opened == 1);
  CHECK_EQ(must(client.last.write("bye"), "write"), 3);
  RUN_UNTIL(loop->native(), server.bytes_in == 3);

  loop.reset();
  CHECK_EQ(client.closed, 1);
  CHECK_EQ(server.finished.size(), 1);
  CHECK_STR(server.finished[0].c_str(), "open,data:bye,close");
  CHECK_EQ(listener->port(), 0);  // a stale handle now
  listener.reset();               // stops a stale handle: nothing happens
  CHECK_EQ(server.finished.size(), 1);
}

}  // namespace

int main() {
  test_init("test_hpp", 120);
  sha256_selftest();
  member_function_handlers();
  lambda_handlers();
  move_semantics();
  big_echo();
  errors_are_codes();
  stop_keep_active();
  loop_freed_first();
  return test_pass();
}
