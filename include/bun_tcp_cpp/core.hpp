// bun_tcp_cpp/core.hpp: part of bun_tcp.hpp (include that instead; its comment explains the
// design). Error, Result<T> and Bytes: the vocabulary of every other part.
#ifndef BUN_TCP_CPP_CORE_HPP
#define BUN_TCP_CPP_CORE_HPP

#include "../bun_tcp.h"

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

}  // namespace bun_tcp

#endif  // BUN_TCP_CPP_CORE_HPP
