/*
 * bun_tcp.hpp: a header-only C++17 layer over bun_tcp.h (link libbun_tcp as for C). It covers
 * every function of bun_tcp.h (ctest cpp_covers_header checks that). The code is in
 * bun_tcp_cpp/ (core, socket, loop, app, listener), one part per job; include this file.
 *
 *   bun_tcp::Loop      owns a bun_tcp_loop (move-only; the destructor frees it). Also: post
 *                      (from any thread), timers, tracing, metrics, embedding (fd, next timeout).
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

// The parts, each with one job (core -> socket -> loop -> app -> listener).
#include "bun_tcp_cpp/core.hpp"
#include "bun_tcp_cpp/socket.hpp"
#include "bun_tcp_cpp/loop.hpp"
#include "bun_tcp_cpp/app.hpp"
#include "bun_tcp_cpp/listener.hpp"

#endif  // BUN_TCP_HPP
