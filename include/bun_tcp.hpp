/*
 * bun_tcp.hpp: a header-only C++17 layer over bun_tcp.h (link libbun_tcp as for C). It covers
 * every function of bun_tcp.h (ctest cpp_covers_header checks that).
 *
 *   bun_tcp::Loop      owns a bun_tcp_loop (move-only; the destructor frees it). Also: post
 *                      (from any thread), timers, tracing and metrics, embedding (fd, next timeout).
 *   bun_tcp::Listener  owns a listener (move-only; the destructor stops it and closes the sockets
 *                      it accepted, so their close handlers run inside the destructor).
 *   bun_tcp::Socket    a non-owning handle (a value, like bun_tcp_socket): a stale one fails.
 *   bun_tcp::Timer     owns a timer and its callback (move-only; the destructor stops it).
 *   bun_tcp::Bytes     a read-only byte span: string literals, std::string(_view), std::vector,
 *                      std::array, std::span of 1-byte elements, or (pointer, size).
 *   bun_tcp::Error     a code (negative errno or BUN_TCP_E*) with its name and the failed call's
 *                      message; bun_tcp::Result<T> is a value or an Error. No exceptions.
 *
 * Handlers. listen / listen_fd / connect / adopt (and reload, upgrade_tls) take any object whose
 * type defines some of these members (only the ones defined are registered, detected at compile
 * time; at least on_data or on_drain, as in Bun):
 *
 *   void on_open(Socket);           void on_close(Socket, const bun_tcp_error *err);  (NULL: clean)
 *   void on_data(Socket, Bytes);    void on_error(Socket, const bun_tcp_error &err);
 *   void on_drain(Socket);          void on_connect_error(Socket, const bun_tcp_error &err);
 *   void on_end(Socket);            void on_handshake(Socket, bool ok, const bun_tcp_error *v);
 *   void on_timeout(Socket);
 *
 * One static bun_tcp_handlers table exists per App type. bun_tcp::Callbacks is such an App made of
 * std::function members (lambdas): a Listener built from one owns its copy, allocated once per
 * listener. Handlers must not throw: they are called from C, and an escaping exception terminates
 * the program.
 *
 * Where the App lives: in a small context block (detail::Context, one allocation per socket,
 * made when an accepted socket opens or when connect / adopt starts, freed after on_close or
 * on_connect_error, or by Socket::detach). The C data slot holds that block, and the block holds
 * the App and the user's pointer, so the data slot stays the user's: Socket::set_data /
 * Socket::data<T>() read and write the user's pointer, for accepted and client sockets alike. It
 * starts as nullptr for an accepted socket and as the App for a client (connect, adopt). Accepted
 * sockets reach their App through their listener, so Listener::reload switches them all;
 * Socket::reload and Socket::upgrade_tls give one socket its own App. opts.data must be NULL (the
 * wrappers fill it). Socket::data / set_data are for sockets made through this header: on a
 * socket made with the C API directly, use bun_tcp_socket_data.
 *
 * Lifetimes. Declare the App first, then the Loop, then the Listeners, so that they are destroyed
 * in the reverse order: the App must outlive every socket that can call it (the Loop's destructor
 * closes what is still open, running close handlers), and the Loop should outlive its Listeners
 * and Timers (if it goes first, they are left with stale handles, which their destructors
 * ignore). Everything runs on the thread that created the Loop, except Loop::wakeup and
 * Loop::post.
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
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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
// Context: what a socket's C data slot holds (see "Where the App lives" above)
// ------------------------------------------------------------------------------------------------

namespace detail {
// A listener's App, shared by the sockets it accepted: Listener::reload changes it for them all.
// Owned by the Listener (heap, so that its address survives moves of the Listener).
struct AppRef {
  void *app;
};

// One per socket. `shared` is set for an accepted socket still using its listener's App; else
// `app` is the socket's own (a client, or after Socket::reload / upgrade_tls).
struct Context {
  void *app;
  AppRef *shared;
  void *user;
  void *owner() const noexcept { return shared ? shared->app : app; }
};

inline Context *context_of(bun_tcp_socket s) noexcept {
  return static_cast<Context *>(bun_tcp_socket_data(s));
}

[[noreturn]] inline void out_of_memory() { die("allocating a context", Error(-ENOMEM, "")); }
}  // namespace detail

// Which end of a STARTTLS upgrade this socket is.
enum class TlsRole { client, server };
// Whether an adopted socket stays writable after the peer's FIN (with an on_end member).
enum class HalfOpen { no, yes };

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
  // The same in whole seconds, as Bun's socket.timeout(seconds) (its own name: an overload would
  // make set_timeout(std::chrono::minutes(1)) ambiguous).
  Error set_timeout_seconds(std::chrono::seconds idle) const {
    auto s = idle.count() < 0 ? 0 : idle.count() > UINT32_MAX ? UINT32_MAX : idle.count();
    return detail::status(bun_tcp_socket_timeout(handle_, static_cast<uint32_t>(s)));
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
  // Caps what write_all / end may queue (0: no cap); see bun_tcp_socket_set_write_limit.
  Error set_write_limit(size_t max_buffered) const {
    return detail::status(bun_tcp_socket_set_write_limit(handle_, max_buffered));
  }

  // BUN_TCP_STATE_CONNECTING, _OPEN, _CLOSING, _WRITE_SHUT or _CLOSED.
  int32_t ready_state() const noexcept { return bun_tcp_socket_ready_state(handle_); }
  size_t buffered_amount() const noexcept { return bun_tcp_socket_buffered_amount(handle_); }
  uint64_t bytes_written() const noexcept { return bun_tcp_socket_bytes_written(handle_); }

  Result<std::string> remote_address() const { return address(bun_tcp_socket_remote_address); }
  Result<std::string> local_address() const { return address(bun_tcp_socket_local_address); }
  Result<uint16_t> remote_port() const { return port(bun_tcp_socket_remote_port(handle_)); }
  Result<uint16_t> local_port() const { return port(bun_tcp_socket_local_port(handle_)); }
  // AF_INET, AF_INET6 or AF_UNIX.
  Result<int> remote_family() const { return number(bun_tcp_socket_remote_family(handle_)); }
  Result<int> local_family() const { return number(bun_tcp_socket_local_family(handle_)); }
  // The descriptor (still the socket's: do not close it).
  Result<int> fd() const { return number(bun_tcp_socket_fd(handle_)); }
  // The listener that accepted it (the zero handle for a client socket).
  bun_tcp_listener listener() const noexcept { return bun_tcp_socket_listener(handle_); }

  // TLS: whether the peer's certificate was verified; version and cipher ("" for plain TCP).
  bool authorized() const noexcept { return bun_tcp_socket_authorized(handle_); }
  std::string_view tls_version() const noexcept {
    return or_empty(bun_tcp_socket_tls_version(handle_));
  }
  std::string_view cipher() const noexcept { return or_empty(bun_tcp_socket_cipher(handle_)); }
  // 0 when verified, else a BUN_TCP_ECERT_* code (see bun_tcp_socket_verify_error).
  int32_t verify_error() const noexcept { return bun_tcp_socket_verify_error(handle_); }
  bool session_reused() const noexcept { return bun_tcp_socket_session_reused(handle_); }
  // The negotiated ALPN protocol ("" when none); the SNI the client sent (server side).
  Result<std::string> alpn_protocol() const { return address(bun_tcp_socket_alpn_protocol); }
  Result<std::string> server_name() const { return address(bun_tcp_socket_server_name); }
  // The peer's leaf certificate, DER (empty: none, or plain TCP).
  Result<std::vector<uint8_t>> peer_certificate() const {
    std::vector<uint8_t> der(4096);
    for (;;) {
      int32_t n = bun_tcp_socket_peer_certificate(handle_, der.data(), der.size());
      if (n == -ENOSPC && der.size() < (1u << 24)) {
        der.resize(der.size() * 4);
        continue;
      }
      if (n < 0) return Error::last(n);
      der.resize(static_cast<size_t>(n));
      return der;
    }
  }
  // RFC 5705 keying material: `length` bytes for `label`; no context (nullopt) differs from an
  // empty one.
  Result<std::vector<uint8_t>> export_keying_material(size_t length, const char *label,
                                                      std::optional<Bytes> context = {}) const {
    std::vector<uint8_t> out(length);
    const uint8_t *ctx = context ? (context->data() ? context->data() : out.data()) : nullptr;
    int32_t rc = bun_tcp_socket_export_keying_material(handle_, out.data(), length, label, ctx,
                                                       context ? context->size() : 0);
    if (rc < 0) return Error::last(rc);
    return out;
  }

  // The user's pointer (see the top of this file): nullptr until set on an accepted socket, the
  // App on a client; nullptr for a stale handle.
  template <class T>
  T *data() const noexcept {
    detail::Context *ctx = detail::context_of(handle_);
    return ctx ? static_cast<T *>(ctx->user) : nullptr;
  }
  Error set_data(void *state) const {
    detail::Context *ctx = detail::context_of(handle_);
    if (!ctx) return Error(BUN_TCP_ECLOSED, "the socket is closed or the handle is stale");
    ctx->user = state;
    return Error();
  }

  // Gives this socket its own App (from its next event); `app` must outlive the socket.
  template <class App>
  Error reload(App &app) const;
  // STARTTLS with a new App (see bun_tcp_socket_upgrade_tls); `app` must outlive the socket.
  template <class App>
  Error upgrade_tls(const bun_tcp_tls_options &tls, App &app, TlsRole role) const;
  // Takes the descriptor out of the loop: no handler fires again; the caller owns the fd.
  Result<int> detach() const {
    detail::Context *ctx = detail::context_of(handle_);
    int32_t fd = -1;
    int32_t rc = bun_tcp_socket_detach(handle_, &fd);
    if (rc < 0) return Error::last(rc);
    if (ctx) {
      // The C data slot still names the block until the handle goes stale: clear it first.
      bun_tcp_socket_set_data(handle_, nullptr);
      delete ctx;
    }
    return static_cast<int>(fd);
  }

 private:
  Result<std::string> address(int32_t (*query)(bun_tcp_socket, char *, size_t)) const {
    char buf[256];
    int32_t n = query(handle_, buf, sizeof buf);
    if (n < 0) return Error::last(n);
    return std::string(buf, static_cast<size_t>(n));
  }
  static Result<uint16_t> port(int32_t rc) {
    if (rc < 0) return Error::last(rc);
    return static_cast<uint16_t>(rc);
  }
  static Result<int> number(int32_t rc) {
    if (rc < 0) return Error::last(rc);
    return static_cast<int>(rc);
  }
  static std::string_view or_empty(const char *s) noexcept { return s ? s : ""; }

  bun_tcp_socket handle_{0};
};

// ------------------------------------------------------------------------------------------------
// Timer: owns a bun_tcp_timer and its callback
// ------------------------------------------------------------------------------------------------

class Timer {
 public:
  Timer(Timer &&other) noexcept
      : handle_(std::exchange(other.handle_, bun_tcp_timer{0})),
        callback_(std::move(other.callback_)) {}
  Timer &operator=(Timer &&other) noexcept {
    if (this != &other) {
      stop();
      handle_ = std::exchange(other.handle_, bun_tcp_timer{0});
      callback_ = std::move(other.callback_);
    }
    return *this;
  }
  Timer(const Timer &) = delete;
  Timer &operator=(const Timer &) = delete;
  // Stops it. Do not destroy a Timer from inside its own callback (call stop() there).
  ~Timer() { stop(); }

  // Idempotent: a fired one-shot or stopped timer is stale, and stopping it again returns 0.
  Error stop() {
    if (handle_.id == 0) return Error();
    int32_t rc = bun_tcp_timer_stop(handle_);
    handle_ = bun_tcp_timer{0};
    return rc == BUN_TCP_ECLOSED ? Error() : detail::status(rc);
  }
  // Whether it keeps the loop alive (ref, the default) or not (unref).
  Error ref() const { return detail::status(bun_tcp_timer_ref(handle_)); }
  Error unref() const { return detail::status(bun_tcp_timer_unref(handle_)); }
  bun_tcp_timer native() const noexcept { return handle_; }

 private:
  friend class Loop;
  Timer(bun_tcp_timer handle, std::unique_ptr<std::function<void()>> callback) noexcept
      : handle_(handle), callback_(std::move(callback)) {}
  static void fire(bun_tcp_timer, void *callback) noexcept {
    (*static_cast<std::function<void()> *>(callback))();
  }

  bun_tcp_timer handle_{0};
  std::unique_ptr<std::function<void()>> callback_;
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
  // Any thread may call it: a blocked poll returns.
  Error wakeup() const { return detail::status(bun_tcp_loop_wakeup(loop_)); }
  // Any thread may call it: `fn` runs later on the loop's thread, from a poll. A call still
  // pending when the loop is freed never runs (its std::function is then not freed either).
  Error post(std::function<void()> fn) const {
    auto *owned = new (std::nothrow) std::function<void()>(std::move(fn));
    if (!owned) return Error(-ENOMEM, "allocating a posted call");
    int32_t rc = bun_tcp_loop_post(loop_, &Loop::run_posted, owned);
    if (rc < 0) {
      delete owned;
      return Error::last(rc);
    }
    return Error();
  }
  // A timer: `fn` runs after `delay`, then every `repeat` (0: once). The Timer owns `fn`.
  [[nodiscard]] Result<Timer> start_timer(std::chrono::milliseconds delay,
                                          std::chrono::milliseconds repeat,
                                          std::function<void()> fn) {
    auto owned = std::make_unique<std::function<void()>>(std::move(fn));
    bun_tcp_timer handle{0};
    int32_t rc = bun_tcp_timer_start(loop_, non_negative(delay), non_negative(repeat),
                                     &Timer::fire, owned.get(), &handle);
    if (rc < 0) return Error::last(rc);
    return Timer(handle, std::move(owned));
  }

  // Embedding: the epoll descriptor, and how long a host loop may wait (-1: until I/O).
  Result<int> fd() const {
    int32_t rc = bun_tcp_loop_fd(loop_);
    if (rc < 0) return Error::last(rc);
    return static_cast<int>(rc);
  }
  Result<int32_t> next_timeout_ms() const {
    int32_t rc = bun_tcp_loop_next_timeout_ms(loop_);
    if (rc < -1) return Error::last(rc);
    return rc;
  }

  // Tracing (nullptr turns it off), handler timing and the loop's counters.
  Error set_trace(bun_tcp_trace_fn fn, void *data) {
    return detail::status(bun_tcp_loop_set_trace(loop_, fn, data));
  }
  Error time_handlers(bool enable) {
    return detail::status(bun_tcp_loop_time_handlers(loop_, enable));
  }
  Result<bun_tcp_metrics> metrics() const {
    bun_tcp_metrics m{};
    int32_t rc = bun_tcp_loop_metrics(loop_, &m);
    if (rc < 0) return Error::last(rc);
    return m;
  }

  size_t socket_count() const noexcept { return bun_tcp_loop_socket_count(loop_); }
  size_t listener_count() const noexcept { return bun_tcp_loop_listener_count(loop_); }
  bun_tcp_loop *native() const noexcept { return loop_; }

 private:
  explicit Loop(bun_tcp_loop *loop) noexcept : loop_(loop) {}
  static void run_posted(void *arg) noexcept {
    std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()> *>(arg));
    (*fn)();
  }
  static uint64_t non_negative(std::chrono::milliseconds ms) noexcept {
    return ms.count() < 0 ? 0 : static_cast<uint64_t>(ms.count());
  }
  bun_tcp_loop *loop_ = nullptr;
};

// The library's version ("1.2.0") and its TLS crypto provider ("ring" or "aws-lc-rs").
inline const char *version() noexcept { return bun_tcp_version(); }
inline const char *tls_provider() noexcept { return bun_tcp_tls_provider(); }

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
[[nodiscard]] Result<Socket> adopt(Loop &loop, int fd, App &app, HalfOpen half_open = HalfOpen::no) {
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

#endif  // BUN_TCP_HPP
