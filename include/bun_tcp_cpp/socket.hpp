// bun_tcp_cpp/socket.hpp: part of bun_tcp.hpp (include that instead; its comment explains the
// design). Socket, the handle, and the per-socket Context that keeps its data slot the user's.
#ifndef BUN_TCP_CPP_SOCKET_HPP
#define BUN_TCP_CPP_SOCKET_HPP

#include "core.hpp"

namespace bun_tcp {

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
  Result<std::vector<uint8_t>> peer_certificate() const { return peer_certificate_at(0); }
  // Certificate `index` of the chain the peer sent (0 = the leaf), DER (empty: past the end,
  // none, or plain TCP).
  Result<std::vector<uint8_t>> peer_certificate_at(size_t index) const {
    std::vector<uint8_t> der(4096);
    for (;;) {
      int32_t n = index == 0 ? bun_tcp_socket_peer_certificate(handle_, der.data(), der.size())
                             : bun_tcp_socket_peer_certificate_at(handle_, index, der.data(), der.size());
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

}  // namespace bun_tcp

#endif  // BUN_TCP_CPP_SOCKET_HPP
