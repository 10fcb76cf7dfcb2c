// bun_tcp_cpp/listener.hpp: part of bun_tcp.hpp (include that instead; its comment explains the
// design). Listener, and the calls that create listeners and sockets: listen, listen_fd,
// connect, adopt.
#ifndef BUN_TCP_CPP_LISTENER_HPP
#define BUN_TCP_CPP_LISTENER_HPP

#include "app.hpp"
#include "loop.hpp"

namespace bun_tcp {

// ------------------------------------------------------------------------------------------------
// Listener, listen, listen_fd, connect, adopt
// ------------------------------------------------------------------------------------------------

class Listener {
 public:
  Listener(Listener &&other) noexcept
      : handle_(std::exchange(other.handle_, bun_tcp_listener{0})),
        app_(std::move(other.app_)),
        callbacks_(std::move(other.callbacks_)) {}
  Listener &operator=(Listener &&other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::exchange(other.handle_, bun_tcp_listener{0});
      app_ = std::move(other.app_);
      callbacks_ = std::move(other.callbacks_);
    }
    return *this;
  }
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;
  ~Listener() { release(); }

  // The bound port (after listening on port 0); 0 for unix sockets.
  uint16_t port() const noexcept { return bun_tcp_listener_port(handle_); }
  // "127.0.0.1", "::", or the unix path; and its family (AF_INET, AF_INET6, AF_UNIX).
  Result<std::string> address() const {
    std::string buf(256, '\0');
    int32_t n = bun_tcp_listener_address(handle_, buf.data(), buf.size());
    if (n < 0) return Error::last(n);
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  Result<int> family() const {
    int32_t rc = bun_tcp_listener_family(handle_);
    if (rc < 0) return Error::last(rc);
    return static_cast<int>(rc);
  }
  // Stops accepting. Sockets kept open (close_active false) still call the App, and are closed
  // when this Listener is destroyed.
  Error stop(bool close_active) const {
    return detail::status(bun_tcp_listener_stop(handle_, close_active));
  }
  Error ref() const { return detail::status(bun_tcp_listener_ref(handle_)); }
  Error unref() const { return detail::status(bun_tcp_listener_unref(handle_)); }
  // A new App for the listener and every accepted socket still using its App (not those given
  // their own by Socket::reload), from their next event. `app` must outlive the Listener; an
  // App this Listener owned (Callbacks) is kept until the Listener is destroyed.
  template <class App>
  Error reload(App &app) {
    bun_tcp_handlers table = detail::table_for(app);
    int32_t rc = bun_tcp_listener_reload(handle_, &table);
    if (rc < 0) return Error::last(rc);
    app_->app = static_cast<void *>(&app);
    return Error();
  }
  // New TLS options (certificates) for the connections accepted from now on.
  Error set_tls(const bun_tcp_tls_options &tls) const {
    return detail::status(bun_tcp_listener_set_tls(handle_, &tls));
  }
  bun_tcp_listener native() const noexcept { return handle_; }
  // Not wrapped: bun_tcp_listener_set_data, because the listener's C data is this header's
  // AppRef; keep per-listener state in the App (ctest cpp_covers_header lists the exclusion).

 private:
  template <class App>
  friend Result<Listener> detail_listen(Loop &, int, bun_tcp_listen_options, App &);
  friend Result<Listener> listen(Loop &, const bun_tcp_listen_options &, Callbacks);

  Listener(bun_tcp_listener handle, std::unique_ptr<detail::AppRef> app) noexcept
      : handle_(handle), app_(std::move(app)) {}
  void release() noexcept {
    if (handle_.id != 0) bun_tcp_listener_stop(handle_, true);  // close handlers still see the App
    handle_ = bun_tcp_listener{0};
    app_.reset();
    callbacks_.reset();
  }

  bun_tcp_listener handle_{0};
  std::unique_ptr<detail::AppRef> app_;   // the listener's C data: the App its sockets share
  std::unique_ptr<Callbacks> callbacks_;  // set when the Listener owns its handlers
};

// listen (fd < 0) or listen_fd (fd >= 0), with `app` as the handler object.
template <class App>
[[nodiscard]] Result<Listener> detail_listen(Loop &loop, int fd, bun_tcp_listen_options opts,
                                             App &app) {
  if (opts.data) return detail::data_slot_taken("bun_tcp_listen_options");
  auto ref = std::make_unique<detail::AppRef>(detail::AppRef{static_cast<void *>(&app)});
  opts.data = ref.get();
  bun_tcp_handlers table = detail::table_for(app);
  bun_tcp_listener handle{0};
  int32_t rc = fd < 0 ? bun_tcp_listen(loop.native(), &opts, &table, &handle)
                      : bun_tcp_listen_fd(loop.native(), fd, &opts, &table, &handle);
  if (rc != 0) return Error::last(rc);
  return Listener(handle, std::move(ref));
}

// Listens with `app` as the handler object; `app` must outlive the Listener.
template <class App>
[[nodiscard]] Result<Listener> listen(Loop &loop, const bun_tcp_listen_options &opts, App &app) {
  return detail_listen(loop, -1, opts, app);
}

// Listens on a socket that is already bound (systemd socket activation, a handover); see
// bun_tcp_listen_fd for which options apply. The loop owns `fd` once this succeeds.
template <class App>
[[nodiscard]] Result<Listener> listen_fd(Loop &loop, int fd, const bun_tcp_listen_options &opts,
                                         App &app) {
  if (fd < 0) return Error(BUN_TCP_EINVAL, "listen_fd: fd < 0");
  return detail_listen(loop, fd, opts, app);
}

// Listens with lambdas; the Listener keeps them (one allocation per listener).
[[nodiscard]] inline Result<Listener> listen(Loop &loop, const bun_tcp_listen_options &opts,
                                             Callbacks callbacks) {
  auto owned = std::make_unique<Callbacks>(std::move(callbacks));
  Result<Listener> listener = detail_listen<Callbacks>(loop, -1, opts, *owned);
  if (listener) listener->callbacks_ = std::move(owned);
  return listener;
}

// Starts a connect: later exactly one of on_open or on_connect_error fires. `app` (an App or a
// Callbacks object) must outlive the socket; it is also the socket's initial user data.
template <class App>
[[nodiscard]] Result<Socket> connect(Loop &loop, bun_tcp_connect_options opts, App &app) {
  if (opts.data) return detail::data_slot_taken("bun_tcp_connect_options");
  auto *ctx = new (std::nothrow) detail::Context{static_cast<void *>(&app), nullptr,
                                                 static_cast<void *>(&app)};
  if (!ctx) return Error(-ENOMEM, "allocating a context");
  opts.data = ctx;
  bun_tcp_handlers table = detail::table_for(app);
  bun_tcp_socket handle{0};
  int32_t rc = bun_tcp_connect(loop.native(), &opts, &table, &handle);
  if (rc != 0) {
    delete ctx;  // nothing fires after a failed call
    return Error::last(rc);
  }
  return Socket(handle);
}

// Makes a connected descriptor a socket of `loop` (as bun_tcp_socket_adopt): on_open fires later.
// On error the descriptor stays the caller's. `app` is as for connect.
template <class App>
[[nodiscard]] Result<Socket> adopt(Loop &loop, int fd, App &app,
                                   HalfOpen half_open = HalfOpen::no) {
  auto *ctx = new (std::nothrow) detail::Context{static_cast<void *>(&app), nullptr,
                                                 static_cast<void *>(&app)};
  if (!ctx) return Error(-ENOMEM, "allocating a context");
  bun_tcp_handlers table = detail::table_for(app);
  bun_tcp_socket handle{0};
  int32_t rc = bun_tcp_socket_adopt(loop.native(), fd, &table, ctx, half_open == HalfOpen::yes,
                                    &handle);
  if (rc != 0) {
    delete ctx;
    return Error::last(rc);
  }
  return Socket(handle);
}

}  // namespace bun_tcp

#endif  // BUN_TCP_CPP_LISTENER_HPP
