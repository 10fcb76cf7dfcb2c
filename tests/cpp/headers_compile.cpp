// Compiled (never run) as C++17 and C++20 with -Wall -Wextra -Wpedantic -Werror: bun_tcp.h and
// bun_tcp.hpp are valid strict C++, every template instantiates, and Bytes takes the byte ranges
// it promises.
#include <bun_tcp.h>
#include <bun_tcp.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>
#if defined(__cpp_lib_span)
#include <span>
#endif

namespace headers_compile {

struct EveryHandler {
  void on_open(bun_tcp::Socket) {}
  void on_data(bun_tcp::Socket, bun_tcp::Bytes) {}
  void on_drain(bun_tcp::Socket) {}
  void on_end(bun_tcp::Socket) {}
  void on_close(bun_tcp::Socket, const bun_tcp_error *) {}
  void on_error(bun_tcp::Socket, const bun_tcp_error &) {}
  void on_timeout(bun_tcp::Socket) {}
  void on_connect_error(bun_tcp::Socket, const bun_tcp_error &) {}
  void on_handshake(bun_tcp::Socket, bool, const bun_tcp_error *) {}
};

struct DataOnly {
  void on_data(bun_tcp::Socket, bun_tcp::Bytes) {}
};

// The members of a table that are set, one bit each in struct order (a function, so that the
// compiler does not warn that a known function's address is never NULL).
constexpr unsigned registered(const bun_tcp_handlers &t) {
  return (t.open ? 1u : 0u) | (t.data ? 2u : 0u) | (t.drain ? 4u : 0u) | (t.end ? 8u : 0u) |
         (t.close ? 16u : 0u) | (t.error ? 32u : 0u) | (t.timeout ? 64u : 0u) |
         (t.connect_error ? 128u : 0u) | (t.handshake ? 256u : 0u);
}
static_assert(registered(bun_tcp::detail::handler_table<EveryHandler>) == 511u);
// open, close and connect_error are always registered (open gives an accepted socket its Context,
// close and connect_error free it); the rest only if defined.
static_assert(registered(bun_tcp::detail::handler_table<DataOnly>) == (1u | 2u | 16u | 128u));

static_assert(std::is_nothrow_move_constructible_v<bun_tcp::Loop> &&
              !std::is_copy_constructible_v<bun_tcp::Loop>);
static_assert(std::is_nothrow_move_constructible_v<bun_tcp::Listener> &&
              !std::is_copy_constructible_v<bun_tcp::Listener>);
static_assert(std::is_nothrow_move_constructible_v<bun_tcp::Timer> &&
              !std::is_copy_constructible_v<bun_tcp::Timer>);
static_assert(std::is_trivially_copyable_v<bun_tcp::Socket>);

static_assert(std::is_convertible_v<std::string, bun_tcp::Bytes>);
static_assert(std::is_convertible_v<std::string_view, bun_tcp::Bytes>);
static_assert(std::is_convertible_v<const char *, bun_tcp::Bytes>);
static_assert(std::is_convertible_v<std::vector<uint8_t>, bun_tcp::Bytes>);
static_assert(std::is_convertible_v<std::array<std::byte, 4>, bun_tcp::Bytes>);
static_assert(!std::is_convertible_v<std::vector<int>, bun_tcp::Bytes>);
#if defined(__cpp_lib_span)
static_assert(std::is_convertible_v<std::span<const std::byte>, bun_tcp::Bytes>);
static_assert(std::is_convertible_v<std::span<uint8_t, 16>, bun_tcp::Bytes>);
#endif

}  // namespace headers_compile

// Instantiates the function templates (a definition with external linkage, so nothing is unused).
using headers_compile::DataOnly;
using headers_compile::EveryHandler;

bun_tcp::Result<bun_tcp::Listener> instantiate_listen(bun_tcp::Loop &loop, EveryHandler &app) {
  bun_tcp_listen_options opts{};
  return bun_tcp::listen(loop, opts, app);
}
bun_tcp::Result<bun_tcp::Socket> instantiate_connect(bun_tcp::Loop &loop, DataOnly &app) {
  bun_tcp_connect_options opts{};
  return bun_tcp::connect(loop, opts, app);
}
