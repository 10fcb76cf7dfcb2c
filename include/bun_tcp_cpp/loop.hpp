// bun_tcp_cpp/loop.hpp: part of bun_tcp.hpp (include that instead; its comment explains the
// design). Loop (run, poll, post, embedding, tracing, metrics) and Timer.
#ifndef BUN_TCP_CPP_LOOP_HPP
#define BUN_TCP_CPP_LOOP_HPP

#include "core.hpp"

namespace bun_tcp {

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

}  // namespace bun_tcp

#endif  // BUN_TCP_CPP_LOOP_HPP
