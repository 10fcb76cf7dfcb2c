// bun_tcp_cpp/app.hpp: part of bun_tcp.hpp (include that instead; its comment explains the
// design). Apps: Callbacks, compile-time detection of on_* members, the C handler tables, and
// Socket::reload / Socket::upgrade_tls, which need them.
#ifndef BUN_TCP_CPP_APP_HPP
#define BUN_TCP_CPP_APP_HPP

#include "socket.hpp"

namespace bun_tcp {

// ------------------------------------------------------------------------------------------------
// Handlers: compile-time detection of App members, one static C table per App type
// ------------------------------------------------------------------------------------------------

// An App made of lambdas; unset members are not registered (so, as in C, no on_end means a FIN
// closes the socket, and no on_handshake means a TLS open waits for the handshake).
struct Callbacks {
  std::function<void(Socket)> on_open;
  std::function<void(Socket, Bytes)> on_data;
  std::function<void(Socket)> on_drain;
  std::function<void(Socket)> on_end;
  std::function<void(Socket, const bun_tcp_error *)> on_close;
  std::function<void(Socket, const bun_tcp_error &)> on_error;
  std::function<void(Socket)> on_timeout;
  std::function<void(Socket, const bun_tcp_error &)> on_connect_error;
  std::function<void(Socket, bool, const bun_tcp_error *)> on_handshake;
};

namespace detail {

template <class T>
T &fake();  // declared only, for decltype

#define BUN_TCP_HPP_DETECT(member, ...)                                                            \
  template <class App, class = void>                                                               \
  struct has_##member : std::false_type {};                                                        \
  template <class App>                                                                             \
  struct has_##member<App, std::void_t<decltype(fake<App>().member(__VA_ARGS__))>>                 \
      : std::true_type {};
BUN_TCP_HPP_DETECT(on_open, Socket())
BUN_TCP_HPP_DETECT(on_data, Socket(), Bytes())
BUN_TCP_HPP_DETECT(on_drain, Socket())
BUN_TCP_HPP_DETECT(on_end, Socket())
BUN_TCP_HPP_DETECT(on_close, Socket(), fake<const bun_tcp_error *>())
BUN_TCP_HPP_DETECT(on_error, Socket(), fake<const bun_tcp_error>())
BUN_TCP_HPP_DETECT(on_timeout, Socket())
BUN_TCP_HPP_DETECT(on_connect_error, Socket(), fake<const bun_tcp_error>())
BUN_TCP_HPP_DETECT(on_handshake, Socket(), true, fake<const bun_tcp_error *>())
#undef BUN_TCP_HPP_DETECT

// C entry points for App. `data` is the socket's Context, except in the first open of an accepted
// socket, where it is still the listener's AppRef.
template <class App>
struct Dispatch {
  static App &app(void *data) noexcept {
    auto *ctx = static_cast<Context *>(data);
    if (!ctx || !ctx->owner()) die("no App behind this socket", Error(BUN_TCP_ECLOSED, ""));
    return *static_cast<App *>(ctx->owner());
  }
  static void open(bun_tcp_socket s, void *data) noexcept {
    bun_tcp_listener l = bun_tcp_socket_listener(s);
    if (l.id != 0 && data != nullptr && data == bun_tcp_listener_data(l)) {
      // An accepted socket's first open: give it a Context so that the data slot is the user's.
      auto *ctx = new (std::nothrow) Context{nullptr, static_cast<AppRef *>(data), nullptr};
      if (!ctx) out_of_memory();
      bun_tcp_socket_set_data(s, ctx);
      data = ctx;
    }
    App &a = app(data);
    if constexpr (std::is_same_v<App, Callbacks>) {
      if (a.on_open) a.on_open(Socket(s));
    } else if constexpr (has_on_open<App>::value) {
      a.on_open(Socket(s));
    }
  }
  static void data(bun_tcp_socket s, void *d, const uint8_t *bytes, size_t len) noexcept {
    app(d).on_data(Socket(s), Bytes(bytes, len));
  }
  static void drain(bun_tcp_socket s, void *d) noexcept { app(d).on_drain(Socket(s)); }
  static void end(bun_tcp_socket s, void *d) noexcept { app(d).on_end(Socket(s)); }
  // Registered always: the Context is freed after the App's on_close.
  static void close(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    App &a = app(d);
    if constexpr (std::is_same_v<App, Callbacks>) {
      if (a.on_close) a.on_close(Socket(s), err);
    } else if constexpr (has_on_close<App>::value) {
      a.on_close(Socket(s), err);
    }
    release(s, d);
  }
  static void error(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    app(d).on_error(Socket(s), *err);
  }
  static void timeout(bun_tcp_socket s, void *d) noexcept { app(d).on_timeout(Socket(s)); }
  // Registered always, as close.
  static void connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    App &a = app(d);
    if constexpr (std::is_same_v<App, Callbacks>) {
      if (a.on_connect_error) a.on_connect_error(Socket(s), *err);
    } else if constexpr (has_on_connect_error<App>::value) {
      a.on_connect_error(Socket(s), *err);
    }
    release(s, d);
  }
  static void handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verify) noexcept {
    app(d).on_handshake(Socket(s), ok, verify);
  }
  static void release(bun_tcp_socket s, void *d) noexcept {
    bun_tcp_socket_set_data(s, nullptr);
    delete static_cast<Context *>(d);
  }
};

template <class App>
constexpr bun_tcp_handlers make_table() {
  bun_tcp_handlers t{};
  t.open = &Dispatch<App>::open;    // always: it gives an accepted socket its Context
  t.close = &Dispatch<App>::close;  // always: they free the Context
  t.connect_error = &Dispatch<App>::connect_error;
  if constexpr (has_on_data<App>::value) t.data = &Dispatch<App>::data;
  if constexpr (has_on_drain<App>::value) t.drain = &Dispatch<App>::drain;
  if constexpr (has_on_end<App>::value) t.end = &Dispatch<App>::end;
  if constexpr (has_on_error<App>::value) t.error = &Dispatch<App>::error;
  if constexpr (has_on_timeout<App>::value) t.timeout = &Dispatch<App>::timeout;
  if constexpr (has_on_handshake<App>::value) t.handshake = &Dispatch<App>::handshake;
  return t;
}

template <class App>
inline constexpr bun_tcp_handlers handler_table = make_table<App>();

template <class App>
bun_tcp_handlers table_for(const App &) {
  static_assert(has_on_data<App>::value || has_on_drain<App>::value,
                "bun_tcp: the App needs on_data or on_drain (Bun requires data or drain)");
  return handler_table<App>;
}

// Callbacks decide at run time: only the lambdas that are set are registered (close and
// connect_error stay: they check for an unset lambda themselves).
inline bun_tcp_handlers table_for(const Callbacks &cb) {
  bun_tcp_handlers t = handler_table<Callbacks>;
  if (!cb.on_data) t.data = nullptr;
  if (!cb.on_drain) t.drain = nullptr;
  if (!cb.on_end) t.end = nullptr;
  if (!cb.on_error) t.error = nullptr;
  if (!cb.on_timeout) t.timeout = nullptr;
  if (!cb.on_handshake) t.handshake = nullptr;
  return t;
}

inline Error data_slot_taken(const char *what) {
  return Error(BUN_TCP_EINVAL, std::string(what) + ".data must be NULL: the App goes there");
}

}  // namespace detail

template <class App>
Error Socket::reload(App &app) const {
  detail::Context *ctx = detail::context_of(handle_);
  if (!ctx) return Error(BUN_TCP_ECLOSED, "the socket is closed or the handle is stale");
  bun_tcp_handlers table = detail::table_for(app);
  int32_t rc = bun_tcp_socket_reload(handle_, &table);
  if (rc < 0) return Error::last(rc);
  *ctx = detail::Context{static_cast<void *>(&app), nullptr, ctx->user};
  return Error();
}

template <class App>
Error Socket::upgrade_tls(const bun_tcp_tls_options &tls, App &app, TlsRole role) const {
  detail::Context *ctx = detail::context_of(handle_);
  if (!ctx) return Error(BUN_TCP_ECLOSED, "the socket is closed or the handle is stale");
  bun_tcp_handlers table = detail::table_for(app);
  int32_t rc = bun_tcp_socket_upgrade_tls(handle_, &tls, &table, role == TlsRole::server);
  if (rc < 0) return Error::last(rc);
  *ctx = detail::Context{static_cast<void *>(&app), nullptr, ctx->user};
  return Error();
}

}  // namespace bun_tcp

#endif  // BUN_TCP_CPP_APP_HPP
