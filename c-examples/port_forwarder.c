/* port_forwarder: forwards every TCP connection to a target host:port, both directions.
 *
 *   usage: port_forwarder TARGET_PORT [TARGET_HOST] [LISTEN_PORT] [LISTEN_HOST]
 *          (defaults: TARGET_HOST 127.0.0.1, LISTEN_PORT 0 = any free port, LISTEN_HOST 127.0.0.1)
 *
 * Prints "listening on HOST:PORT", then one line per finished connection with the bytes it
 * carried. SIGINT / SIGTERM close every connection and exit 0. When stderr is a terminal, a
 * progress line (\r-updated, twice a second) shows the bytes carried and the current rate.
 *
 * Backpressure: bytes given to `data` are only valid during the call, so they go out with
 * write_all, which queues what the kernel did not take. As soon as the other side's queue is not
 * empty we pause the side we read from, and resume it on the other side's `drain`. So at most one
 * read is held per direction, however fast one peer sends and however slowly the other reads.
 *
 * Half-close: a FIN from one peer becomes end() on the other (sent after its queue) while the
 * opposite direction keeps flowing (allow_half_open). A reset on one side resets the other. */
#include "stop_on_signal.h"
#include <bun_tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct tunnel {
  bun_tcp_socket client, target; /* the accepted socket and our connection to the target */
  int sockets_alive;             /* the tunnel is freed when both are gone */
  uint64_t up, down;             /* bytes client -> target, target -> client */
} tunnel;

static bun_tcp_loop *loop;
static const char *target_host;
static uint16_t target_port;
static bun_tcp_listener listener;
static bool shutting_down;
static int connections;
static uint64_t total_bytes;

static bun_tcp_socket peer_of(tunnel *t, bun_tcp_socket s) {
  return s.id == t->client.id ? t->target : t->client;
}

static void release(tunnel *t) {
  if (--t->sockets_alive > 0) return;
  printf("connection done: %llu bytes up, %llu bytes down\n", (unsigned long long)t->up,
         (unsigned long long)t->down);
  connections--;
  free(t);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  tunnel *t = data;
  bun_tcp_socket other = peer_of(t, s);
  if (bun_tcp_socket_write_all(other, bytes, len) < 0) {
    bun_tcp_socket_terminate(s); /* the other side is gone: these bytes cannot be delivered */
    return;
  }
  *(s.id == t->client.id ? &t->up : &t->down) += len;
  total_bytes += len;
  if (bun_tcp_socket_buffered_amount(other) > 0) bun_tcp_socket_pause(s);
}

static void on_drain(bun_tcp_socket s, void *data) {
  bun_tcp_socket_resume(peer_of(data, s)); /* our queue is empty: read from the other side again */
}

static void on_end(bun_tcp_socket s, void *data) {
  bun_tcp_socket_end(peer_of(data, s), NULL, 0); /* pass the FIN on, after the queued bytes */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  bun_tcp_socket other = peer_of(data, s);
  if (err) bun_tcp_socket_terminate(other); /* pass a reset on as a reset */
  else if (shutting_down) bun_tcp_socket_close(other);
  else bun_tcp_socket_end(other, NULL, 0); /* a no-op when our FIN is already on its way */
  release(data);
}

static void on_target_open(bun_tcp_socket target, void *data) {
  bun_tcp_socket_resume(((tunnel *)data)->client);
}

static void on_target_error(bun_tcp_socket target, void *data, const bun_tcp_error *err) {
  tunnel *t = data;
  if (!shutting_down)
    fprintf(stderr, "connect to %s:%u failed: %s\n", target_host, (unsigned)target_port, err->name);
  bun_tcp_socket_close(t->client);
  release(t);
}

static void on_client_open(bun_tcp_socket client, void *unused) {
  tunnel *t = calloc(1, sizeof *t);
  if (!t) {
    bun_tcp_socket_terminate(client);
    return;
  }
  *t = (tunnel){.client = client, .sockets_alive = 2};
  connections++;
  bun_tcp_socket_set_data(client, t);
  bun_tcp_socket_pause(client); /* nothing to forward to until the target connection is open */
  bun_tcp_handlers target_handlers = {.open = on_target_open, .data = on_data, .drain = on_drain,
                                      .end = on_end, .close = on_close,
                                      .connect_error = on_target_error};
  bun_tcp_connect_options opts = {
      .hostname = target_host, .port = target_port, .data = t, .allow_half_open = true};
  if (bun_tcp_connect(loop, &opts, &target_handlers, &t->target) != 0) {
    fprintf(stderr, "connect: %s\n", bun_tcp_last_error_message());
    t->sockets_alive = 1; /* no target socket: the client's close frees the tunnel */
    bun_tcp_socket_close(t->client);
  }
}

static void shut_down(void *unused) {
  shutting_down = true;
  bun_tcp_listener_stop(listener, true); /* closes the clients; their close closes the targets */
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void show_progress(void) {
  static double last_time;
  static uint64_t last_bytes;
  double now = now_seconds();
  if (now - last_time < 0.5) return;
  double rate = last_time ? (double)(total_bytes - last_bytes) / (now - last_time) : 0;
  fprintf(stderr, "\r%d connections, %.1f MiB forwarded, %.1f MiB/s   ", connections,
          total_bytes / 1048576.0, rate / 1048576.0);
  last_time = now;
  last_bytes = total_bytes;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: port_forwarder TARGET_PORT [TARGET_HOST] [LISTEN_PORT] [LISTEN_HOST]\n");
    return 2;
  }
  target_port = (uint16_t)atoi(argv[1]);
  target_host = argc > 2 ? argv[2] : "127.0.0.1";
  uint16_t port = (uint16_t)(argc > 3 ? atoi(argv[3]) : 0);
  const char *host = argc > 4 ? argv[4] : "127.0.0.1";
  bool progress = isatty(STDERR_FILENO);
  setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered even into a pipe, so scripts see each line */
  block_stop_signals();

  loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers client_handlers = {
      .open = on_client_open, .data = on_data, .drain = on_drain, .end = on_end, .close = on_close};
  bun_tcp_listen_options opts = {.hostname = host, .port = port, .allow_half_open = true};
  int32_t rc = bun_tcp_listen(loop, &opts, &client_handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, (unsigned)port,
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("listening on %s:%u\n", host, (unsigned)bun_tcp_listener_port(listener));
  stop_on_signal(loop, shut_down, NULL);

  /* With a progress line, wake up four times a second to redraw it; else sleep until events. */
  while (bun_tcp_loop_alive(loop) && rc >= 0) {
    rc = bun_tcp_poll(loop, progress ? 250 : -1);
    if (progress) show_progress();
  }
  if (progress) fputc('\n', stderr);
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
