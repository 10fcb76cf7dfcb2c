// echo_server (C++): the TCP echo server of c-examples/echo_server.c, written with bun_tcp.hpp.
//
//   usage: cpp_echo_server [port] [host]        (defaults: 0 = any free port, 127.0.0.1)
//
// Prints "listening on HOST:PORT" once ready, then echoes every byte back to its sender until
// killed. The handlers are member functions of one EchoServer object; bun_tcp.hpp registers only
// the ones it defines (and allocates one small context block per connection). Backpressure as in
// the C version: write_all() queues what the kernel did not take; past HIGH_WATER we stop reading
// from that peer until on_drain says its queue is empty.
#include <bun_tcp.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

struct EchoServer {
  static constexpr size_t kHighWater = 1 << 20;  // 1 MiB of echo not yet taken by the peer

  void on_open(bun_tcp::Socket s) {
    auto addr = s.remote_address();
    auto port = s.remote_port();
    std::printf("open   %s:%u\n", addr ? addr->c_str() : "?", port ? unsigned(*port) : 0u);
  }

  void on_data(bun_tcp::Socket s, bun_tcp::Bytes bytes) {
    if (!s.write_all(bytes)) return;  // the socket is going away: on_close follows
    if (s.buffered_amount() > kHighWater) s.pause();
  }

  void on_drain(bun_tcp::Socket s) { s.resume(); }  // a no-op if we never paused

  void on_close(bun_tcp::Socket, const bun_tcp_error *err) {
    std::printf("close  %s\n", err ? err->name : "(clean)");
  }
};

int main(int argc, char **argv) {
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line-buffered even into a pipe

  EchoServer app;  // declared first: it must outlive the loop and the listener
  auto loop = bun_tcp::Loop::create();
  if (!loop) {
    std::fprintf(stderr, "bun_tcp_loop_new: %s\n", loop.error().detail().c_str());
    return 1;
  }
  bun_tcp_listen_options opts{};
  opts.hostname = host;
  opts.port = port;
  auto listener = bun_tcp::listen(*loop, opts, app);
  if (!listener) {
    const bun_tcp::Error &err = listener.error();
    std::fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, unsigned(port), err.name(),
                 err.detail().c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", host, unsigned(listener->port()));

  bun_tcp::Error err = loop->run();  // runs until the listener is stopped (never, here)
  return err ? 1 : 0;
}
