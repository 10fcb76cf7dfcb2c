/*
 * bun_tcp.hpp: a header-only C++17 layer over bun_tcp.h (link libbun_tcp as for C).
 *
 *   bun_tcp::Loop      owns a bun_tcp_loop (move-only; the destructor frees it).
 *   bun_tcp::Listener  owns a listener (move-only; the destructor stops it and closes the sockets
 *                      it accepted, so their close handlers run inside the destructor).
 *   bun_tcp::Socket    a non-owning handle (a value, like bun_tcp_socket): a stale one fails.
 *   bun_tcp::Bytes     a read-only byte span: string literals, std::string(_view), std::vector,
 *                      std::array, std::span of 1-byte elements, or (pointer, size).
 *   bun_tcp::Error     a code (negative errno or BUN_TCP_E*) with its name and the failed call's
 *                      message; bun_tcp::Result<T> is a value or an Error. No exceptions.
 *
 * Handlers. listen(loop, opts, app) / connect(loop, opts, app) take any object whose type defines
 * some of these members (only the ones defined are registered, detected at compile time; at least
 * on_data or on_drain, as in Bun):
 *
 *   void on_open(Socket);           void on_close(Socket, const bun_tcp_error *err);  (NULL: clean)
 *   void on_data(Socket, Bytes);    void on_error(Socket, const bun_tcp_error &err);
 *   void on_drain(Socket);          void on_connect_error(Socket, const bun_tcp_error &err);
 *   void on_end(Socket);            void on_handshake(Socket, bool ok, const bun_tcp_error *v);
 *   void on_timeout(Socket);
 *
 * One static bun_tcp_handlers table exists per App type; nothing is allocated per socket or per
 * event. bun_tcp::Callbacks is such an App made of std::function members (lambdas): a Listener
 * built from one owns its copy, allocated once per listener. Handlers must not throw: they are
 * called from C, and an escaping exception terminates the program.
 *
 * Where the App lives. An accepted socket finds it through its listener's user data, so the
 * socket's own data slot is free for per-connection state: it is nullptr in on_open; use
 * Socket::set_data / Socket::data<T>(). A client socket (connect) has no listener: its data slot
 * holds the App, so keep a client's state in the App and do not call set_data on it.
 * opts.data must be NULL in both cases (the wrappers fill it).
 *
 * Lifetimes. Declare the App first, then the Loop, then the Listeners, so that they are destroyed
 * in the reverse order: the App must outlive every socket that can call it (the Loop's destructor
 * closes what is still open, running close handlers), and the Loop should outlive its Listeners
 * (if it goes first, they are left with stale handles, which their destructors ignore). Everything
 * runs on the thread that created the Loop, except Loop::wakeup.
 */
#ifndef BUN_TCP_HPP
#define BUN_TCP_HPP

#include "bun_tcp.h"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bun_tcp {

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

// An error code with the message of the call that failed. Like std::error_code, it converts to
// true when it holds an error: `if (auto err = socket.pause()) ...`.
class Error {
 public:
  Error() = default;
  Error(int32_t code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  // The error of the call that just returned `code` on this thread (takes its message).
  static Error last(int32_t code) { return Error(code, bun_tcp_last_error_message()); }

  bool ok() const noexcept { return code_ == 0; }
  explicit operator bool() const noexcept { return code_ != 0; }
  int32_t code() const noexcept { return code_; }
  // "EADDRINUSE", "ECONNREFUSED", "ENOTFOUND", ... (static).
  const char *name() const noexcept { return bun_tcp_err_name(code_); }
  // "Address already in use" (static).
  const char *description() const noexcept { return bun_tcp_strerror(code_); }
  // What the failed call reported ("" if nothing more).
  const std::string &detail() const noexcept { return detail_; }

 private:
  int32_t code_ = 0;
  std::string detail_;
};

namespace detail {
[[noreturn]] inline void die(const char *what, const Error &err) {
  std::fprintf(stderr, "bun_tcp.hpp: %s: %s (%s) %s\n", what, err.name(), err.description(),
               err.detail().c_str());
  std::abort();
}
}  // namespace detail

// A value or an Error. value() on an error is a programming mistake: it aborts with the error.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const Error &error() const noexcept { return error_; }

  T &value() & {
    check();
    return *value_;
  }
  const T &value() const & {
    check();
    return *value_;
  }
  T &&value() && {
    check();
    return std::move(*value_);
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

 private:
  void check() const {
    if (!value_) detail::die("Result::value() on an error", error_);
  }
  std::optional<T> value_;
  Error error_;
};

namespace detail {
inline Error status(int32_t rc) { return rc < 0 ? Error::last(rc) : Error(); }
inline Result<size_t> count(int64_t rc) {
  if (rc < 0) return Error::last(static_cast<int32_t>(rc));
  return static_cast<size_t>(rc);
}
inline uint32_t clamp_ms(std::chrono::milliseconds ms) {
  if (ms.count() < 0) return 0;
  return ms.count() > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(ms.count());
}
}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Bytes: a read-only span of bytes
// ------------------------------------------------------------------------------------------------

namespace detail {
// A contiguous container (not a C array, which may carry a trailing NUL) of 1-byte elements.
template <class C, class = void>
struct is_byte_range : std::false_type {};
template <class C>
struct is_byte_range<C, std::void_t<decltype(std::data(std::declval<const C &>())),
                                    decltype(std::size(std::declval<const C &>()))>>
    : std::bool_constant<!std::is_array_v<C> &&
                         sizeof(*std::data(std::declval<const C &>())) == 1> {};
}  // namespace detail

class Bytes {
 public:
  constexpr Bytes() noexcept = default;
  Bytes(const void *data, size_t size) noexcept
      : data_(static_cast<const uint8_t *>(data)), size_(size) {}
  // A NUL-terminated string, without its NUL (nullptr: empty).
  Bytes(const char *cstr) noexcept
      : Bytes(cstr, cstr ? std::char_traits<char>::length(cstr) : 0) {}
  // std::string(_view), std::vector<uint8_t>, std::array<char, N>, std::span<const std::byte>...
  template <class C, std::enable_if_t<detail::is_byte_range<C>::value, int> = 0>
  Bytes(const C &range) noexcept : Bytes(std::data(range), std::size(range)) {}

  const uint8_t *data() const noexcept { return data_; }
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const uint8_t *begin() const noexcept { return data_; }
  const uint8_t *end() const noexcept { return data_ + size_; }
  // The bytes from `offset` on (empty past the end): what is left to send after a short write.
  Bytes subspan(size_t offset) const noexcept {
    return offset >= size_ ? Bytes() : Bytes(data_ + offset, size_ - offset);
  }
  std::string_view view() const noexcept {
    return std::string_view(reinterpret_cast<const char *>(data_), size_);
  }

 private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Socket: a handle, copied freely; every call on a closed socket fails with BUN_TCP_ECLOSED
// ------------------------------------------------------------------------------------------------

class Socket {
 public:
  constexpr Socket() noexcept = default;
  constexpr explicit Socket(bun_tcp_socket handle) noexcept : handle_(handle) {}
  constexpr bun_tcp_socket native() const noexcept { return handle_; }
  friend bool operator==(Socket a, Socket b) noexcept { return a.handle_.id == b.handle_.id; }
  friend bool operator!=(Socket a, Socket b) noexcept { return !(a == b); }

  // One send, as Bun: the bytes the kernel took (maybe fewer than given: resend the rest from
  // on_drain). 0 while connecting or while earlier write_all/end bytes are queued.
  [[nodiscard]] Result<size_t> write(Bytes b) const {
    return detail::count(bun_tcp_socket_write(handle_, b.data(), b.size()));
  }
  // Takes all the bytes (queues what the kernel did not take); on_drain fires once sent.
  Result<size_t> write_all(Bytes b) const {
    return detail::count(bun_tcp_socket_write_all(handle_, b.data(), b.size()));
  }
  // Sends `b` then FIN; the socket stays readable (true half-close).
  Result<size_t> end(Bytes b = {}) const {
    return detail::count(bun_tcp_socket_end(handle_, b.data(), b.size()));
  }
  Error shutdown(bool read_side) const {
    return detail::status(bun_tcp_socket_shutdown(handle_, read_side));
  }
  // FIN now, queued bytes dropped; on_close runs before this returns.
  Error close() const { return detail::status(bun_tcp_socket_close(handle_)); }
  // RST now; on_close runs before this returns.
  Error terminate() const { return detail::status(bun_tcp_socket_terminate(handle_)); }

  Error pause() const { return detail::status(bun_tcp_socket_pause(handle_)); }
  Error resume() const { return detail::status(bun_tcp_socket_resume(handle_)); }
  Error ref() const { return detail::status(bun_tcp_socket_ref(handle_)); }
  Error unref() const { return detail::status(bun_tcp_socket_unref(handle_)); }
  Error flush() const { return detail::status(bun_tcp_socket_flush(handle_)); }
  Error cork() const { return detail::status(bun_tcp_socket_cork(handle_)); }
  Error uncork() const { return detail::status(bun_tcp_socket_uncork(handle_)); }

  // Idle timeout (0 disables); on_timeout fires, the socket stays open.
  Error set_timeout(std::chrono::milliseconds idle) const {
    return detail::status(bun_tcp_socket_timeout_ms(handle_, detail::clamp_ms(idle)));
  }
  Error set_no_delay(bool enable) const {
    return detail::status(bun_tcp_socket_set_no_delay(handle_, enable));
  }
  Error set_keep_alive(bool enable, std::chrono::milliseconds initial_delay) const {
    return detail::status(
        bun_tcp_socket_set_keep_alive(handle_, enable, detail::clamp_ms(initial_delay)));
  }
  // Idle time, probe interval (seconds) and probe count, as uv_tcp_keepalive_ex; EINVAL out of
  // the kernel's ranges (1..32767, 1..32767, 1..127), nothing applied.
  Error set_keep_alive_ex(bool enable, uint32_t idle_s, uint32_t interval_s, uint32_t count) const {
    return detail::status(
        bun_tcp_socket_set_keep_alive_ex(handle_, enable, idle_s, interval_s, count));
  }

  // BUN_TCP_STATE_CONNECTING, _OPEN, _CLOSING, _WRITE_SHUT or _CLOSED.
  int32_t ready_state() const noexcept { return bun_tcp_socket_ready_state(handle_); }
  size_t buffered_amount() const noexcept { return bun_tcp_socket_buffered_amount(handle_); }
  uint64_t bytes_written() const noexcept { return bun_tcp_socket_bytes_written(handle_); }

  Result<std::string> remote_address() const { return address(bun_tcp_socket_remote_address); }
  Result<std::string> local_address() const { return address(bun_tcp_socket_local_address); }
  Result<uint16_t> remote_port() const { return port(bun_tcp_socket_remote_port(handle_)); }
  Result<uint16_t> local_port() const { return port(bun_tcp_socket_local_port(handle_)); }

  // TLS: whether the peer's certificate was verified; version and cipher ("" for plain TCP).
  bool authorized() const noexcept { return bun_tcp_socket_authorized(handle_); }
  std::string_view tls_version() const noexcept {
    return or_empty(bun_tcp_socket_tls_version(handle_));
  }
  std::string_view cipher() const noexcept { return or_empty(bun_tcp_socket_cipher(handle_)); }

  // Per-connection state of an accepted socket (nullptr until set; see the top of this file).
  template <class T>
  T *data() const noexcept { return static_cast<T *>(bun_tcp_socket_data(handle_)); }
  Error set_data(void *state) const {
    return detail::status(bun_tcp_socket_set_data(handle_, state));
  }

 private:
  Result<std::string> address(int32_t (*query)(bun_tcp_socket, char *, size_t)) const {
    char buf[64];
    int32_t n = query(handle_, buf, sizeof buf);
    if (n < 0) return Error::last(n);
    return std::string(buf, static_cast<size_t>(n));
  }
  static Result<uint16_t> port(int32_t rc) {
    if (rc < 0) return Error::last(rc);
    return static_cast<uint16_t>(rc);
  }
  static std::string_view or_empty(const char *s) noexcept { return s ? s : ""; }

  bun_tcp_socket handle_{0};
};

// ------------------------------------------------------------------------------------------------
// Loop
// ------------------------------------------------------------------------------------------------

class Loop {
 public:
  [[nodiscard]] static Result<Loop> create() {
    errno = 0;  // bun_tcp_loop_new reports a message but no code: keep the OS's, if any
    bun_tcp_loop *loop = bun_tcp_loop_new();
    if (!loop) return Error::last(errno ? -errno : -ENOMEM);
    return Loop(loop);
  }
  Loop(Loop &&other) noexcept : loop_(std::exchange(other.loop_, nullptr)) {}
  Loop &operator=(Loop &&other) noexcept {
    if (this != &other) {
      bun_tcp_loop_free(loop_);
      loop_ = std::exchange(other.loop_, nullptr);
    }
    return *this;
  }
  Loop(const Loop &) = delete;
  Loop &operator=(const Loop &) = delete;
  // Closes every socket still open: their close (or connect_error) handlers run here.
  ~Loop() { bun_tcp_loop_free(loop_); }

  // One iteration: waits up to timeout_ms (-1: until something happens); the handler calls made.
  Result<int32_t> poll(int32_t timeout_ms) {
    int32_t rc = bun_tcp_poll(loop_, timeout_ms);
    if (rc < 0) return Error::last(rc);
    return rc;
  }
  // Polls until nothing ref'd is left.
  Error run() { return detail::status(bun_tcp_run(loop_)); }
  bool alive() const noexcept { return bun_tcp_loop_alive(loop_); }
  // The one call any thread may make: a blocked poll returns.
  Error wakeup() const { return detail::status(bun_tcp_loop_wakeup(loop_)); }
  size_t socket_count() const noexcept { return bun_tcp_loop_socket_count(loop_); }
  size_t listener_count() const noexcept { return bun_tcp_loop_listener_count(loop_); }
  bun_tcp_loop *native() const noexcept { return loop_; }

 private:
  explicit Loop(bun_tcp_loop *loop) noexcept : loop_(loop) {}
  bun_tcp_loop *loop_ = nullptr;
};

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

// C entry points for App. `data` is the socket's user data: the App itself for a client socket;
// an accepted socket reaches the App through its listener's data instead.
template <class App>
struct Dispatch {
  static App &app(bun_tcp_socket s, void *data) noexcept {
    bun_tcp_listener l = bun_tcp_socket_listener(s);
    void *owner = l.id != 0 ? bun_tcp_listener_data(l) : data;
    if (!owner) die("no App behind this socket", Error(BUN_TCP_ECLOSED, "listener data is NULL"));
    return *static_cast<App *>(owner);
  }
  static void open(bun_tcp_socket s, void *data) noexcept {
    App &a = app(s, data);
    // An accepted socket's data starts as the listener's (the App): free it for the user.
    if (bun_tcp_socket_listener(s).id != 0) bun_tcp_socket_set_data(s, nullptr);
    if constexpr (std::is_same_v<App, Callbacks>) {
      if (a.on_open) a.on_open(Socket(s));
    } else if constexpr (has_on_open<App>::value) {
      a.on_open(Socket(s));
    }
  }
  static void data(bun_tcp_socket s, void *d, const uint8_t *bytes, size_t len) noexcept {
    app(s, d).on_data(Socket(s), Bytes(bytes, len));
  }
  static void drain(bun_tcp_socket s, void *d) noexcept { app(s, d).on_drain(Socket(s)); }
  static void end(bun_tcp_socket s, void *d) noexcept { app(s, d).on_end(Socket(s)); }
  static void close(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    app(s, d).on_close(Socket(s), err);
  }
  static void error(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    app(s, d).on_error(Socket(s), *err);
  }
  static void timeout(bun_tcp_socket s, void *d) noexcept { app(s, d).on_timeout(Socket(s)); }
  static void connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *err) noexcept {
    app(s, d).on_connect_error(Socket(s), *err);
  }
  static void handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verify) noexcept {
    app(s, d).on_handshake(Socket(s), ok, verify);
  }
};

template <class App>
constexpr bun_tcp_handlers make_table() {
  bun_tcp_handlers t{};
  t.open = &Dispatch<App>::open;  // always: it frees an accepted socket's data slot
  if constexpr (has_on_data<App>::value) t.data = &Dispatch<App>::data;
  if constexpr (has_on_drain<App>::value) t.drain = &Dispatch<App>::drain;
  if constexpr (has_on_end<App>::value) t.end = &Dispatch<App>::end;
  if constexpr (has_on_close<App>::value) t.close = &Dispatch<App>::close;
  if constexpr (has_on_error<App>::value) t.error = &Dispatch<App>::error;
  if constexpr (has_on_timeout<App>::value) t.timeout = &Dispatch<App>::timeout;
  if constexpr (has_on_connect_error<App>::value) t.connect_error = &Dispatch<App>::connect_error;
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

// Callbacks decide at run time: only the lambdas that are set are registered.
inline bun_tcp_handlers table_for(const Callbacks &cb) {
  bun_tcp_handlers t = handler_table<Callbacks>;
  if (!cb.on_data) t.data = nullptr;
  if (!cb.on_drain) t.drain = nullptr;
  if (!cb.on_end) t.end = nullptr;
  if (!cb.on_close) t.close = nullptr;
  if (!cb.on_error) t.error = nullptr;
  if (!cb.on_timeout) t.timeout = nullptr;
  if (!cb.on_connect_error) t.connect_error = nullptr;
  if (!cb.on_handshake) t.handshake = nullptr;
  return t;
}

inline Error data_slot_taken(const char *what) {
  return Error(BUN_TCP_EINVAL, std::string(what) + ".data must be NULL: the App goes there");
}

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Listener, listen, connect
// ------------------------------------------------------------------------------------------------

class Listener {
 public:
  Listener(Listener &&other) noexcept
      : handle_(std::exchange(other.handle_, bun_tcp_listener{0})),
        callbacks_(std::move(other.callbacks_)) {}
  Listener &operator=(Listener &&other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::exchange(other.handle_, bun_tcp_listener{0});
      callbacks_ = std::move(other.callbacks_);
    }
    return *this;
  }
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;
  ~Listener() { release(); }

  // The bound port (after listening on port 0); 0 for unix sockets.
  uint16_t port() const noexcept { return bun_tcp_listener_port(handle_); }
  // Stops accepting. Sockets kept open (close_active false) still call the App, and are closed
  // when this Listener is destroyed.
  Error stop(bool close_active) const {
    return detail::status(bun_tcp_listener_stop(handle_, close_active));
  }
  Error ref() const { return detail::status(bun_tcp_listener_ref(handle_)); }
  Error unref() const { return detail::status(bun_tcp_listener_unref(handle_)); }
  bun_tcp_listener native() const noexcept { return handle_; }

 private:
  template <class App>
  friend Result<Listener> listen(Loop &, bun_tcp_listen_options, App &);
  friend Result<Listener> listen(Loop &, const bun_tcp_listen_options &, Callbacks);

  explicit Listener(bun_tcp_listener handle) noexcept : handle_(handle) {}
  void release() noexcept {
    if (handle_.id != 0) bun_tcp_listener_stop(handle_, true);  // close handlers still see the App
    handle_ = bun_tcp_listener{0};
    callbacks_.reset();
  }

  bun_tcp_listener handle_{0};
  std::unique_ptr<Callbacks> callbacks_;  // set when the Listener owns its handlers
};

// Listens with `app` as the handler object; `app` must outlive the Listener.
template <class App>
[[nodiscard]] Result<Listener> listen(Loop &loop, bun_tcp_listen_options opts, App &app) {
  if (opts.data) return detail::data_slot_taken("bun_tcp_listen_options");
  opts.data = static_cast<void *>(&app);
  bun_tcp_handlers table = detail::table_for(app);
  bun_tcp_listener handle{0};
  int32_t rc = bun_tcp_listen(loop.native(), &opts, &table, &handle);
  if (rc != 0) return Error::last(rc);
  return Listener(handle);
}

// Listens with lambdas; the Listener keeps them (one allocation per listener).
[[nodiscard]] inline Result<Listener> listen(Loop &loop, const bun_tcp_listen_options &opts,
                                             Callbacks callbacks) {
  auto owned = std::make_unique<Callbacks>(std::move(callbacks));
  Result<Listener> listener = listen<Callbacks>(loop, opts, *owned);
  if (listener) listener->callbacks_ = std::move(owned);
  return listener;
}

// Starts a connect: later exactly one of on_open or on_connect_error fires. `app` (an App or a
// Callbacks object) is the socket's data and must outlive the socket.
template <class App>
[[nodiscard]] Result<Socket> connect(Loop &loop, bun_tcp_connect_options opts, App &app) {
  if (opts.data) return detail::data_slot_taken("bun_tcp_connect_options");
  opts.data = static_cast<void *>(&app);
  bun_tcp_handlers table = detail::table_for(app);
  bun_tcp_socket handle{0};
  int32_t rc = bun_tcp_connect(loop.native(), &opts, &table, &handle);
  if (rc != 0) return Error::last(rc);
  return Socket(handle);
}

}  // namespace bun_tcp

#endif  // BUN_TCP_HPP
