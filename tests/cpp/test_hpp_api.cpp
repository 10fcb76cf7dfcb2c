/* test_hpp_api: the parts of include/bun_tcp.hpp beyond listen / connect / I/O, on loopback.
 *
 * Cases: timers (one-shot, repeating, stop, unref'd timers do not keep run() alive); post from
 * another thread; tracing and metrics counts; listen_fd with the listener's address and family;
 * socket families, write limit, keep-alive, fd; a client's data slot is the user's (set_data does
 * not break dispatch); Listener::reload switches accepted sockets, Socket::reload one socket;
 * STARTTLS with ALPN, SNI, peer certificate, verdict, equal keying material on both ends, a
 * resumed second session, Listener::set_tls; adopt + detach; version and provider strings. */
#include "harness.h"

#include <bun_tcp.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

using bun_tcp::Bytes;
using bun_tcp::Listener;
using bun_tcp::Loop;
using bun_tcp::Socket;
using namespace std::chrono_literals;

namespace {

#define CHECK_OK_CPP(expr)                                                                         \
  do {                                                                                             \
    bun_tcp::Error _err = (expr);                                                                  \
    if (_err) FAIL("%s: %s (%s)", #expr, _err.name(), _err.detail().c_str());                      \
  } while (0)

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

// Records its events as "name:event,..." in one shared string.
struct Tagged {
  Tagged(std::string n, std::string *t) : name(std::move(n)), trace(t) {}
  std::string name;
  std::string *trace;
  int closes = 0;
  Socket last;
  void add(const std::string &event) {
    if (!trace->empty()) *trace += ',';
    *trace += name + ":" + event;
  }
  void on_open(Socket s) {
    last = s;
    add("open");
  }
  void on_data(Socket, Bytes b) { add("data:" + std::string(b.view())); }
  void on_close(Socket, const bun_tcp_error *) {
    add("close");
    closes++;
  }
};

/* ---- timers ---------------------------------------------------------------------------------- */

void timers() {
  test_case("timers: one-shot fires once, repeating until stopped; unref'd ones let run() end");
  Loop loop = make_loop();
  std::string trace;
  int ticks = 0;
  std::optional<bun_tcp::Timer> repeating;
  bun_tcp::Timer once = must(loop.start_timer(5ms, 0ms, [&] { trace += "once,"; }), "once");
  repeating.emplace(must(loop.start_timer(1ms, 1ms,
                                          [&] {
                                            trace += "tick,";
                                            if (++ticks == 3) CHECK_OK_CPP(repeating->stop());
                                          }),
                         "repeating"));
  bun_tcp::Timer idle = must(loop.start_timer(3600s, 0ms, [&] { trace += "idle,"; }), "idle");
  CHECK_OK_CPP(idle.unref());
  CHECK(must(loop.next_timeout_ms(), "next_timeout_ms") >= 0);
  CHECK_OK_CPP(loop.run());  // ends although `idle` is pending: it is unref'd
  CHECK_EQ(ticks, 3);
  CHECK(trace.find("once,") != std::string::npos);
  CHECK_EQ(std::count(trace.begin(), trace.end(), ','), 4);  // 3 ticks + once, no idle
  CHECK_OK_CPP(once.stop());                                 // fired: stopping is a no-op
  CHECK_OK_CPP(idle.ref());
  CHECK_OK_CPP(idle.stop());
  CHECK_EQ(idle.ref().code(), BUN_TCP_ECLOSED);  // stale after stop
  bun_tcp::Timer moved = must(loop.start_timer(1ms, 0ms, [&] { trace += "moved,"; }), "moved");
  bun_tcp::Timer target = std::move(moved);
  CHECK_OK_CPP(loop.run());
  CHECK(trace.size() >= 6 && trace.compare(trace.size() - 6, 6, "moved,") == 0);
}

/* ---- post from another thread ----------------------------------------------------------------- */

void post_from_thread() {
  test_case("post: calls from another thread run on the loop's thread, in order");
  Loop loop = make_loop();
  std::vector<int> order;
  std::thread::id loop_thread = std::this_thread::get_id();
  bool wrong_thread = false;
  std::thread poster([&] {
    for (int i = 0; i < 3; i++) {
      bun_tcp::Error err = loop.post([&, i] {
        if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
        order.push_back(i);
      });
      if (err) FAIL("post: %s", err.name());
    }
  });
  poster.join();
  RUN_UNTIL(loop.native(), order.size() == 3);
  CHECK(!wrong_thread);
  CHECK(order == (std::vector<int>{0, 1, 2}));
  CHECK(must(loop.fd(), "fd") >= 0);
}

/* ---- tracing and metrics ----------------------------------------------------------------------- */

struct Traced {
  std::vector<std::string> handlers;
};
void on_trace(const bun_tcp_trace_event *event, void *data) {
  static_cast<Traced *>(data)->handlers.push_back(event->handler);
}

void trace_and_metrics() {
  test_case("tracing sees every handler call; metrics count accepts, connects, bytes, closes");
  Loop loop = make_loop();
  Traced traced;
  CHECK_OK_CPP(loop.set_trace(&on_trace, &traced));
  CHECK_OK_CPP(loop.time_handlers(true));
  std::string trace;
  Tagged server{"s", &trace}, client{"c", &trace};
  Listener listener = must(bun_tcp::listen(loop, loopback(), server), "listen");
  (void)must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  RUN_UNTIL(loop.native(), client.last.native().id != 0 && server.last.native().id != 0);
  CHECK_EQ(must(client.last.write("hi"), "write"), 2);
  RUN_UNTIL(loop.native(), trace.find("s:data:hi") != std::string::npos);
  CHECK_OK_CPP(client.last.close());
  RUN_UNTIL(loop.native(), server.closes == 1);
  bun_tcp_metrics m = must(loop.metrics(), "metrics");
  CHECK_EQ(m.accepts, 1);
  CHECK_EQ(m.connects, 1);
  CHECK_EQ(m.closes, 2);
  CHECK_EQ(m.bytes_read, 2);
  CHECK_EQ(m.bytes_written, 2);
  CHECK(m.handler_calls >= 5);
  std::string seen;
  for (auto &h : traced.handlers) seen += h + ",";
  // Both opens (either order), the data, then both closes; the client's close comes first.
  CHECK_EQ(std::count(traced.handlers.begin(), traced.handlers.end(), "open"), 2);
  CHECK_EQ(std::count(traced.handlers.begin(), traced.handlers.end(), "data"), 1);
  CHECK_EQ(std::count(traced.handlers.begin(), traced.handlers.end(), "close"), 2);
  CHECK_EQ(traced.handlers.size(), 5);
  CHECK_OK_CPP(loop.set_trace(nullptr, nullptr));
}

/* ---- listen_fd, listener and socket queries ------------------------------------------------- */

void listen_fd_and_queries() {
  test_case("listen_fd: address, family; socket families, fd, write limit, keep-alive");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ(bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0);
  CHECK_EQ(::listen(fd, 16), 0);

  Loop loop = make_loop();
  std::string trace;
  Tagged server{"s", &trace}, client{"c", &trace};
  Listener listener = must(bun_tcp::listen_fd(loop, fd, bun_tcp_listen_options{}, server), "fd");
  std::string address = must(listener.address(), "address");
  CHECK_STR(address.c_str(), "127.0.0.1");
  CHECK_EQ(must(listener.family(), "family"), AF_INET);
  CHECK(listener.port() > 0);
  CHECK_EQ(bun_tcp::listen_fd(loop, -1, bun_tcp_listen_options{}, server).error().code(),
           BUN_TCP_EINVAL);

  (void)must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  RUN_UNTIL(loop.native(), client.last.native().id != 0 && server.last.native().id != 0);
  Socket c = client.last;
  CHECK_EQ(must(c.remote_family(), "remote_family"), AF_INET);
  CHECK_EQ(must(c.local_family(), "local_family"), AF_INET);
  CHECK(must(c.fd(), "fd") >= 0);
  CHECK(c.listener().id == 0);
  CHECK(server.last.listener().id == listener.native().id);
  CHECK_OK_CPP(c.set_write_limit(1 << 20));
  CHECK_OK_CPP(c.set_keep_alive_ex(true, 60, 10, 5));
  CHECK_EQ(c.set_keep_alive_ex(true, 0, 10, 5).code(), BUN_TCP_EINVAL);
  CHECK_OK_CPP(c.set_timeout_seconds(30s));
  CHECK_OK_CPP(c.set_timeout_seconds(0s));
  CHECK_OK_CPP(c.set_timeout(std::chrono::minutes(1)));  // milliseconds: no ambiguity
  CHECK_EQ(c.verify_error(), 0);
  CHECK(!c.session_reused());
  CHECK(must(c.alpn_protocol(), "alpn").empty());
  CHECK_EQ(must(c.peer_certificate(), "peer_certificate").size(), 0);
  CHECK_EQ(c.export_keying_material(32, "EXPORTER-test").error().code(), BUN_TCP_ENOTSUP);
  CHECK_OK_CPP(c.close());
  RUN_UNTIL(loop.native(), server.closes == 1);
  CHECK_EQ(c.fd().error().code(), BUN_TCP_ECLOSED);
  CHECK_EQ(c.remote_family().error().code(), BUN_TCP_ECLOSED);
  CHECK_EQ(c.set_write_limit(1).code(), BUN_TCP_ECLOSED);
  CHECK_STR(trace.c_str(), trace.find("c:open") < trace.find("s:open")
                               ? "c:open,s:open,c:close,s:close"
                               : "s:open,c:open,c:close,s:close");
}

/* ---- the data slot and reload ---------------------------------------------------------------- */

void data_slot_and_reload() {
  test_case("data slot: the user's on both ends; Listener::reload and Socket::reload switch Apps");
  Loop loop = make_loop();
  std::string trace;
  Tagged server{"s1", &trace}, client{"c1", &trace};
  Tagged server2{"s2", &trace}, client2{"c2", &trace};
  Listener listener = must(bun_tcp::listen(loop, loopback(), server), "listen");
  Socket c = must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  CHECK(c.data<Tagged>() == &client);  // a client's user data starts as its App
  int client_state = 7, server_state = 9;
  CHECK_OK_CPP(c.set_data(&client_state));  // ... and is the user's: dispatch still works
  RUN_UNTIL(loop.native(), client.last.native().id != 0 && server.last.native().id != 0);
  Socket s = server.last;
  CHECK(s.data<int>() == nullptr);
  CHECK_OK_CPP(s.set_data(&server_state));
  CHECK_EQ(*c.data<int>(), 7);

  CHECK_OK_CPP(listener.reload(server2));  // the accepted socket follows its listener
  CHECK_OK_CPP(c.reload(client2));
  CHECK_EQ(must(c.write("a"), "write"), 1);
  RUN_UNTIL(loop.native(), trace.find("s2:data:a") != std::string::npos);
  CHECK_EQ(must(s.write("b"), "write"), 1);
  RUN_UNTIL(loop.native(), trace.find("c2:data:b") != std::string::npos);
  CHECK_EQ(*s.data<int>(), 9);  // reload kept the user's pointers
  CHECK_EQ(*c.data<int>(), 7);
  CHECK_OK_CPP(c.close());
  RUN_UNTIL(loop.native(), server2.closes == 1);
  CHECK_EQ(client2.closes, 1);
  CHECK_EQ(server.closes + client.closes, 0);
  CHECK(c.data<int>() == nullptr);  // stale
  CHECK_EQ(c.set_data(&client_state).code(), BUN_TCP_ECLOSED);
  CHECK_EQ(c.reload(client).code(), BUN_TCP_ECLOSED);
  CHECK_EQ(loop.socket_count(), 0);
}

/* ---- STARTTLS and the TLS queries ------------------------------------------------------------- */

struct TlsEnd {
  TlsEnd(std::string n, std::string *t) : name(std::move(n)), trace(t) {}
  std::string name;
  std::string *trace;
  std::vector<uint8_t> ekm;
  int closes = 0;
  // What the client end saw in on_handshake (the socket closes soon after).
  bool authorized = false, reused = false, peer_is_server_crt = false;
  int32_t verify_error = -1;
  std::string alpn, version, sni;
  size_t der_size = 0;
  size_t chain_second_size = 1;
  int32_t ekm_zero_code = 0;
  void add(const std::string &e) {
    if (!trace->empty()) *trace += ',';
    *trace += name + ":" + e;
  }
  void on_handshake(Socket s, bool ok, const bun_tcp_error *verify) {
    add(std::string("handshake:") + (ok && !verify ? "ok" : "fail"));
    ekm = must(s.export_keying_material(32, "EXPORTER-bun-tcp-test", Bytes("ctx")), "ekm");
    authorized = s.authorized();
    reused = s.session_reused();
    verify_error = s.verify_error();
    alpn = must(s.alpn_protocol(), "alpn");
    sni = must(s.server_name(), "server_name");
    version = std::string(s.tls_version());
    der_size = must(s.peer_certificate(), "peer_certificate").size();
    chain_second_size = must(s.peer_certificate_at(1), "peer_certificate_at").size();
    peer_is_server_crt = tls_peer_cert_is(s.native(), "server.crt");
    ekm_zero_code = s.export_keying_material(0, "x").error().code();
    if (name == "ct") CHECK_EQ(must(s.write("secret"), "write"), 6);
  }
  void on_data(Socket s, Bytes b) {
    add("data:" + std::string(b.view()));
    if (name == "st") CHECK_EQ(must(s.end(b), "end"), b.size());
  }
  void on_close(Socket, const bun_tcp_error *err) {
    add(err ? std::string("close:") + err->name : "close");
    closes++;
  }
};

// The plaintext phase: the client says STARTTLS, the server answers GO, both upgrade.
struct PlainServer {
  std::string *trace;
  const bun_tcp_tls_options *tls;
  TlsEnd *next;
  void on_data(Socket s, Bytes b) {
    *trace += "sp:data:" + std::string(b.view());
    CHECK_EQ(must(s.write("GO"), "GO"), 2);
    CHECK_OK_CPP(s.upgrade_tls(*tls, *next, bun_tcp::TlsRole::server));
  }
};
struct PlainClient {
  std::string *trace;
  const bun_tcp_tls_options *tls;
  TlsEnd *next;
  void on_open(Socket s) { CHECK_EQ(must(s.write("STARTTLS"), "STARTTLS"), 8); }
  void on_data(Socket s, Bytes b) {
    *trace += ",cp:data:" + std::string(b.view()) + ",";
    CHECK_OK_CPP(s.upgrade_tls(*tls, *next, bun_tcp::TlsRole::client));
  }
};

void starttls_run(Loop &loop, Listener &listener, tls_cfg *server_tls, tls_cfg *client_tls) {
  std::string trace;
  TlsEnd st{"st", &trace}, ct{"ct", &trace};
  PlainServer sp{&trace, &server_tls->o, &st};
  PlainClient cp{&trace, &client_tls->o, &ct};
  CHECK_OK_CPP(listener.reload(sp));
  Socket c = must(bun_tcp::connect(loop, to(listener.port()), cp), "connect");
  RUN_UNTIL(loop.native(), ct.ekm.size() == 32 && st.ekm.size() == 32 &&
                               trace.find("ct:data:secret") != std::string::npos);
  CHECK(ct.ekm == st.ekm);
  CHECK(ct.authorized);
  CHECK_EQ(ct.verify_error, 0);
  CHECK(ct.alpn == "h2" && st.alpn == "h2");
  CHECK(st.sni == "localhost");  // the client's default server_name, seen by the server
  CHECK(ct.sni.empty());
  CHECK(!ct.reused);  // a STARTTLS client starts a fresh session
  CHECK(ct.version == "TLSv1.3");
  CHECK(ct.der_size > 100);
  CHECK_EQ(ct.chain_second_size, 0); /* the server sends its leaf only */
  CHECK(ct.peer_is_server_crt);
  CHECK_EQ(ct.ekm_zero_code, BUN_TCP_EINVAL);
  (void)c;
  RUN_UNTIL(loop.native(), ct.closes == 1 && st.closes == 1);
  // The ordering across the two ends varies; each end's own order does not.
  std::string server_side, client_side;
  for (size_t at = 0; at < trace.size();) {
    size_t comma = trace.find(',', at);
    std::string e = trace.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (e.rfind("st:", 0) == 0 || e.rfind("sp:", 0) == 0) server_side += e + ",";
    if (e.rfind("ct:", 0) == 0 || e.rfind("cp:", 0) == 0) client_side += e + ",";
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  CHECK_STR(server_side.c_str(), "sp:data:STARTTLS,st:handshake:ok,st:data:secret,st:close,");
  CHECK_STR(client_side.c_str(), "cp:data:GO,ct:handshake:ok,ct:data:secret,ct:close,");
}

void starttls() {
  test_case("STARTTLS: upgrade_tls both ends; ALPN, SNI, certificate, equal keying material; "
            "set_tls, session resumption");
  tls_cfg server_tls, client_tls;
  tls_cfg_server(&server_tls);
  tls_cfg_alpn(&server_tls, "h2");
  tls_cfg_client(&client_tls);
  tls_cfg_alpn(&client_tls, "h2");
  Loop loop = make_loop();
  std::string unused;
  Tagged placeholder{"x", &unused};
  Listener listener = must(bun_tcp::listen(loop, loopback(), placeholder), "listen");
  starttls_run(loop, listener, &server_tls, &client_tls);

  // set_tls: only a TLS listener takes new options (used from its next accept). On one, a
  // second client connect with equal options resumes the first one's session.
  CHECK_EQ(listener.set_tls(server_tls.o).code(), BUN_TCP_ENOTSUP);
  bun_tcp_listen_options tls_opts = loopback();
  tls_opts.tls = &server_tls.o;
  Listener tls_listener = must(bun_tcp::listen(loop, tls_opts, placeholder), "listen tls");
  CHECK_OK_CPP(tls_listener.set_tls(server_tls.o));
  for (bool expect_reused : {false, true}) {
    std::string trace;
    TlsEnd st{"st", &trace}, ct{"ct", &trace};
    CHECK_OK_CPP(tls_listener.reload(st));
    bun_tcp_connect_options opts = to(tls_listener.port());
    opts.tls = &client_tls.o;
    (void)must(bun_tcp::connect(loop, opts, ct), "connect");
    RUN_UNTIL(loop.native(), ct.closes == 1 && st.closes == 1);
    CHECK(ct.ekm == st.ekm && ct.ekm.size() == 32);
    CHECK_EQ(ct.reused, expect_reused);
    CHECK(ct.authorized);
    CHECK(ct.alpn == "h2");
    CHECK(st.sni.empty());  // connected to an IP literal: no SNI
    CHECK_STR(trace.find("ct:handshake:ok") != std::string::npos ? "ok" : trace.c_str(), "ok");
    CHECK(trace.find("ct:data:secret") != std::string::npos);
  }
  CHECK_EQ(Socket().upgrade_tls(client_tls.o, placeholder, bun_tcp::TlsRole::client).code(),
           BUN_TCP_ECLOSED);
}

/* ---- adopt and detach --------------------------------------------------------------------- */

void adopt_detach() {
  test_case("detach hands the descriptor out without a close; adopt takes it back");
  Loop loop = make_loop();
  std::string trace;
  Tagged server{"s", &trace}, client{"c", &trace}, adopted{"a", &trace};
  Listener listener = must(bun_tcp::listen(loop, loopback(), server), "listen");
  Socket c = must(bun_tcp::connect(loop, to(listener.port()), client), "connect");
  RUN_UNTIL(loop.native(), client.last.native().id != 0 && server.last.native().id != 0);
  int fd = must(c.detach(), "detach");
  CHECK(fd >= 0);
  CHECK_EQ(c.ready_state(), BUN_TCP_STATE_CLOSED);
  Socket a = must(bun_tcp::adopt(loop, fd, adopted, bun_tcp::HalfOpen::no), "adopt");
  CHECK(a.data<Tagged>() == &adopted);
  RUN_UNTIL(loop.native(), adopted.last.native().id != 0);
  CHECK_EQ(must(server.last.write("x"), "write"), 1);
  RUN_UNTIL(loop.native(), trace.find("a:data:x") != std::string::npos);
  CHECK_OK_CPP(a.close());
  RUN_UNTIL(loop.native(), server.closes == 1);
  CHECK_EQ(client.closes, 0);  // detached: no close for the old handle
  CHECK_EQ(adopted.closes, 1);
  CHECK_EQ(bun_tcp::adopt(loop, -1, adopted).error().code(), BUN_TCP_EINVAL);
  CHECK_EQ(c.detach().error().code(), BUN_TCP_ECLOSED);
  CHECK(std::string(bun_tcp::version()).size() > 0);
  std::string provider = bun_tcp::tls_provider();
  CHECK(provider == "ring" || provider == "aws-lc-rs");
}

}  // namespace

int main() {
  test_init("test_hpp_api", 120);
  timers();
  post_from_thread();
  trace_and_metrics();
  listen_fd_and_queries();
  data_slot_and_reload();
  starttls();
  adopt_detach();
  tls_fixtures_free();
  return test_pass();
}
