/* demo: an echo server and a client in ONE process, driven by ONE bun_tcp loop.
 *
 * The server listens on 127.0.0.1 with an ephemeral port; the client connects, sends three
 * messages one after the other (each after the previous echo came back), then ends its side.
 * Every handler call on both sides is printed. When both sockets are closed and the listener is
 * stopped, nothing keeps the loop alive any more, bun_tcp_run() returns, and we print a summary.
 * Exit status 0 means every handler fired exactly as expected. */
#include <bun_tcp.h>
#include <stdio.h>
#include <string.h>

static const char *const MESSAGES[] = {"hello", "from", "bun_tcp"};
#define N_MESSAGES (sizeof MESSAGES / sizeof MESSAGES[0])

/* What each side saw: checked in the summary. */
typedef struct {
  const char *name;
  int open, end, close, errors;
  size_t bytes;
} stats;

static stats server_stats = {.name = "server"};
static bun_tcp_listener listener;

/* The client's user data: which message we are on and how much of its echo arrived. */
typedef struct {
  stats st;
  size_t next, got;
} client_state;

static void send_next(bun_tcp_socket s, client_state *c) {
  const char *msg = MESSAGES[c->next];
  printf("[client] write: %s\n", msg);
  bun_tcp_socket_write_all(s, (const uint8_t *)msg, strlen(msg));
}

/* ---- server side: `data` is &server_stats, the listener's data given to every accepted socket */

static void server_open(bun_tcp_socket s, void *data) {
  stats *st = data;
  st->open++;
  char addr[64] = "";
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  printf("[server] open: client %s:%d\n", addr, bun_tcp_socket_remote_port(s));
}

static void server_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  stats *st = data;
  st->bytes += len;
  printf("[server] data: %.*s (echoing %zu bytes)\n", (int)len, (const char *)bytes, len);
  bun_tcp_socket_write_all(s, bytes, len); /* never loses bytes: the unsent rest is queued */
}

static void server_end(bun_tcp_socket s, void *data) {
  stats *st = data;
  st->end++;
  /* allow_half_open is false, so the library now ends our side too (FIN after the queue drains). */
  printf("[server] end: the client finished sending\n");
}

static void server_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  stats *st = data;
  st->close++;
  if (err) st->errors++;
  printf("[server] close: %s\n", err ? err->name : "clean");
  /* Our only client is gone: stop accepting, so the listener no longer keeps the loop alive. */
  bun_tcp_listener_stop(listener, false);
  printf("[server] listener stopped\n");
}

/* ---- client side: `data` is the client_state given to bun_tcp_connect */

static void client_open(bun_tcp_socket s, void *data) {
  client_state *c = data;
  c->st.open++;
  printf("[client] open: connected to port %d\n", bun_tcp_socket_remote_port(s));
  bun_tcp_socket_timeout(s, 5); /* safety net: the `timeout` handler fires if we hear nothing */
  send_next(s, c);
}

static void client_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  client_state *c = data;
  c->st.bytes += len;
  printf("[client] data: %.*s\n", (int)len, (const char *)bytes);
  c->got += len; /* TCP is a byte stream: an echo may arrive in several pieces */
  if (c->got < strlen(MESSAGES[c->next])) return;
  c->got = 0;
  if (++c->next < N_MESSAGES) {
    send_next(s, c);
  } else {
    printf("[client] all echoes received: end()\n");
    bun_tcp_socket_end(s, NULL, 0); /* half-close: FIN now, replies could still arrive */
  }
}

static void client_end(bun_tcp_socket s, void *data) {
  client_state *c = data;
  c->st.end++;
  printf("[client] end: the server finished sending\n");
}

static void client_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  client_state *c = data;
  c->st.close++;
  if (err) c->st.errors++;
  printf("[client] close: %s\n", err ? err->name : "clean");
}

static void client_timeout(bun_tcp_socket s, void *data) {
  client_state *c = data;
  c->st.errors++;
  printf("[client] timeout: nothing happened for 5 s, closing\n");
  bun_tcp_socket_close(s);
}

static void client_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  client_state *c = data;
  c->st.errors++;
  printf("[client] connect_error: %s (%s)\n", err->name, err->message);
}

static int check(const stats *st, size_t expected_bytes) {
  int ok = st->open == 1 && st->end == 1 && st->close == 1 && st->errors == 0 &&
           st->bytes == expected_bytes;
  printf("  %-6s open=%d end=%d close=%d errors=%d bytes=%zu  %s\n", st->name, st->open, st->end,
         st->close, st->errors, st->bytes, ok ? "ok" : "UNEXPECTED");
  return ok;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  printf("bun_tcp %s demo\n", bun_tcp_version());

  /* 1. The server: port 0 picks a free port; .data becomes every accepted socket's user data. */
  bun_tcp_handlers server = {.open = server_open, .data = server_data, .end = server_end,
                             .close = server_close};
  bun_tcp_listen_options lopts = {.hostname = "127.0.0.1", .port = 0, .data = &server_stats};
  int32_t rc = bun_tcp_listen(loop, &lopts, &server, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  uint16_t port = bun_tcp_listener_port(listener);
  printf("[server] listening on 127.0.0.1:%u\n", (unsigned)port);

  /* 2. The client: connect is asynchronous; `open` (or `connect_error`) fires from the loop. */
  client_state client = {.st = {.name = "client"}};
  bun_tcp_handlers handlers = {.open = client_open, .data = client_data, .end = client_end,
                               .close = client_close, .timeout = client_timeout,
                               .connect_error = client_connect_error};
  bun_tcp_connect_options copts = {.hostname = "127.0.0.1", .port = port, .data = &client};
  bun_tcp_socket sock;
  rc = bun_tcp_connect(loop, &copts, &handlers, &sock);
  if (rc != 0) {
    fprintf(stderr, "connect: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }

  /* 3. Run until nothing is left: no listener, no socket, no pending connect. */
  rc = bun_tcp_run(loop);
  printf("bun_tcp_run returned %d\n", rc);

  /* 4. Summary. */
  size_t total = 0;
  for (size_t i = 0; i < N_MESSAGES; i++) total += strlen(MESSAGES[i]);
  printf("summary: %zu messages, %zu bytes each way\n", N_MESSAGES, total);
  int ok = rc == 0;
  ok &= check(&server_stats, total);
  ok &= check(&client.st, total);
  ok &= client.next == N_MESSAGES;
  ok &= bun_tcp_loop_socket_count(loop) == 0; /* every socket was released */
  bun_tcp_loop_free(loop);
  printf("%s\n", ok ? "demo: OK" : "demo: FAILED");
  return ok ? 0 : 1;
}
