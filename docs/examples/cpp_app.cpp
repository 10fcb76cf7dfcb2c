/* docs/guide.md "C++ and Zig": the C++ layer's App, its per-socket data slot, reload, a timer and
 * post. Checks what the guide says and exits 0 only if all of it happened. */
#include <bun_tcp.hpp>

#include <cstdio>
#include <string>
#include <thread>

#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "cpp_app: %s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

struct Session {  // per-connection state: lives in the socket's data slot
  std::string name;
};

struct Greeter {  // the server's App: one object for every accepted socket
  std::string greeting;
  void on_open(bun_tcp::Socket s) { s.set_data(new Session{"conn"}); }
  void on_data(bun_tcp::Socket s, bun_tcp::Bytes) {
    (void)s.write_all(greeting + s.data<Session>()->name);
  }
  void on_close(bun_tcp::Socket s, const bun_tcp_error *) { delete s.data<Session>(); }
};

struct Client {
  std::string got;
  bool closed = false;
  void on_open(bun_tcp::Socket s) { (void)s.write("hi"); }
  void on_data(bun_tcp::Socket s, bun_tcp::Bytes b) {
    got += b.view();
    if (got.size() >= 8) (void)s.end();
  }
  void on_close(bun_tcp::Socket, const bun_tcp_error *) { closed = true; }
};

int main() {
  Greeter hello{"hello, "}, bye{"bye, "};
  Client first, second;
  auto loop = bun_tcp::Loop::create();
  EXPECT(loop);
  bun_tcp_listen_options opts{};
  opts.hostname = "127.0.0.1";
  auto listener = bun_tcp::listen(*loop, opts, hello);
  EXPECT(listener);

  bun_tcp_connect_options to{};
  to.hostname = "127.0.0.1";
  to.port = listener->port();
  auto socket = bun_tcp::connect(*loop, to, first);
  EXPECT(socket && socket->data<Client>() == &first);  // a client's data starts as its App
  for (int i = 0; i < 1000 && !first.closed; i++) EXPECT(loop->poll(100));
  EXPECT(first.got == "hello, conn");

  EXPECT(!listener->reload(bye));  // new connections (and open ones) get the new App
  EXPECT(bun_tcp::connect(*loop, to, second));
  for (int i = 0; i < 1000 && !second.closed; i++) EXPECT(loop->poll(100));
  EXPECT(second.got == "bye, conn");

  int ticks = 0;
  bool posted = false;
  auto timer = loop->start_timer(std::chrono::milliseconds(1), std::chrono::milliseconds(1),
                                 [&] { ++ticks; });
  EXPECT(timer);
  std::thread([&] { (void)loop->post([&] { posted = true; }); }).join();
  for (int i = 0; i < 1000 && (ticks < 3 || !posted); i++) EXPECT(loop->poll(100));
  EXPECT(!timer->stop());
  std::printf("cpp_app: ok (%d ticks)\n", ticks);
  return 0;
}
