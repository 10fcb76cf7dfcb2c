/* Multi-core serving with reuse_port: 4 loops on 4 threads listen on one port (SO_REUSEPORT), a
 * client loop on the main thread opens 200 connections and each echoes its own message. Asserts
 * that every loop accepted at least one connection, that the accepted counts add up to 200, that
 * every echo came back exactly, and that every server handler ran on its own loop's thread.
 *
 * The kernel picks the listener by a hash of the connection's 4-tuple (only the client port
 * varies here), so each connection lands on a given loop with probability ~1/4. The chance that
 * some loop gets none of 200 is at most 4 * (3/4)^200 ~= 4e-25: a failure means broken spreading
 * (e.g. reuse_port not applied), not bad luck. */
#include "harness.h"
#include <pthread.h>

#define SERVER_LOOPS 4
#define CONNECTIONS 200
#define MESSAGE_LEN 64

typedef struct server_loop {
  int index;
  bun_tcp_loop *loop;
  pthread_t thread; /* set by the loop's own thread */
  bun_tcp_listener listener;
  int accepted, closed, wrong_thread, close_errors;
  long bytes_echoed;
  size_t sockets_left; /* bun_tcp_loop_socket_count after the stop */
} server_loop;

typedef struct client_conn {
  int index;
  char message[MESSAGE_LEN];
  char echo[MESSAGE_LEN];
  size_t echo_len;
  bool overflow, opened, closed, close_error;
} client_conn;

static server_loop g_servers[SERVER_LOOPS];
static client_conn g_clients[CONNECTIONS];
static uint16_t g_port;
static pthread_barrier_t g_port_bound; /* the server loops */
static pthread_barrier_t g_listening;  /* the server loops and main */
static int g_clients_closed, g_connect_errors;

/* ---- server loops: each runs on its own thread ---------------------------------------------- */

static void check_own_thread(server_loop *sl) {
  if (!pthread_equal(pthread_self(), sl->thread)) sl->wrong_thread++;
}

static void server_open(bun_tcp_socket s, void *d) {
  server_loop *sl = d;
  check_own_thread(sl);
  sl->accepted++;
}

static void server_data(bun_tcp_socket s, void *d, const uint8_t *bytes, size_t len) {
  server_loop *sl = d;
  check_own_thread(sl);
  CHECK_EQ(bun_tcp_socket_write_all(s, bytes, len), (long long)len);
  sl->bytes_echoed += (long)len;
}

static void server_close(bun_tcp_socket s, void *d, const bun_tcp_error *err) {
  server_loop *sl = d;
  check_own_thread(sl);
  sl->closed++;
  if (err) sl->close_errors++;
}

/* Posted by main once every client is done; runs on the server loop's thread. */
static void stop_server(void *arg) {
  server_loop *sl = arg;
  check_own_thread(sl);
  CHECK_OK(bun_tcp_listener_stop(sl->listener, true));
}

static void *run_server(void *arg) {
  server_loop *sl = arg;
  sl->thread = pthread_self();
  sl->loop = new_loop();
  if (sl->index > 0) pthread_barrier_wait(&g_port_bound);
  bun_tcp_handlers h = {.open = server_open, .data = server_data, .close = server_close};
  bun_tcp_listen_options o = {
      .hostname = "127.0.0.1", .port = g_port, .data = sl, .reuse_port = true};
  CHECK_OK(bun_tcp_listen(sl->loop, &o, &h, &sl->listener));
  if (sl->index == 0) {
    g_port = bun_tcp_listener_port(sl->listener);
    pthread_barrier_wait(&g_port_bound);
  }
  CHECK_EQ(bun_tcp_listener_port(sl->listener), g_port);
  pthread_barrier_wait(&g_listening);
  CHECK_OK(bun_tcp_run(sl->loop)); /* until stop_server closed the listener and its sockets */
  sl->sockets_left = bun_tcp_loop_socket_count(sl->loop);
  bun_tcp_loop_free(sl->loop);
  return NULL;
}

/* ---- the client loop, on the main thread ---------------------------------------------------- */

static void client_open(bun_tcp_socket s, void *d) {
  client_conn *c = d;
  c->opened = true;
  CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)c->message, MESSAGE_LEN), MESSAGE_LEN);
}

static void client_data(bun_tcp_socket s, void *d, const uint8_t *bytes, size_t len) {
  client_conn *c = d;
  if (c->echo_len + len > MESSAGE_LEN) {
    c->overflow = true;
    len = MESSAGE_LEN - c->echo_len;
  }
  memcpy(c->echo + c->echo_len, bytes, len);
  c->echo_len += len;
  if (c->echo_len == MESSAGE_LEN) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void client_close(bun_tcp_socket s, void *d, const bun_tcp_error *err) {
  client_conn *c = d;
  c->closed = true;
  c->close_error = err != NULL;
  g_clients_closed++;
}

static void client_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *err) {
  g_connect_errors++;
  g_clients_closed++;
}

int main(void) {
  test_init("multicore", 60);
  CHECK(pthread_barrier_init(&g_port_bound, NULL, SERVER_LOOPS) == 0);
  CHECK(pthread_barrier_init(&g_listening, NULL, SERVER_LOOPS + 1) == 0);

  test_case("4 loops on 4 threads listen on one port with reuse_port");
  pthread_t threads[SERVER_LOOPS];
  for (int i = 0; i < SERVER_LOOPS; i++) {
    g_servers[i].index = i;
    CHECK(pthread_create(&threads[i], NULL, run_server, &g_servers[i]) == 0);
  }
  pthread_barrier_wait(&g_listening);
  CHECK(g_port != 0);

  test_case("200 connections from a client loop, each echoes its own message");
  bun_tcp_loop *client_loop = new_loop();
  bun_tcp_handlers ch = {.open = client_open,
                         .data = client_data,
                         .close = client_close,
                         .connect_error = client_connect_error};
  for (int i = 0; i < CONNECTIONS; i++) {
    client_conn *c = &g_clients[i];
    c->index = i;
    memset(c->message, '.', MESSAGE_LEN);
    snprintf(c->message, MESSAGE_LEN, "connection %03d says hello to whichever loop", i);
    bun_tcp_connect_options o = {.hostname = "127.0.0.1", .port = g_port, .data = c};
    bun_tcp_socket s;
    CHECK_OK(bun_tcp_connect(client_loop, &o, &ch, &s));
  }
  RUN_UNTIL(client_loop, g_clients_closed == CONNECTIONS);
  CHECK_EQ(g_connect_errors, 0);
  for (int i = 0; i < CONNECTIONS; i++) {
    client_conn *c = &g_clients[i];
    CHECK_MSG(c->opened && c->closed && !c->close_error && !c->overflow,
              "connection %d: opened %d closed %d close_error %d overflow %d", i, c->opened,
              c->closed, c->close_error, c->overflow);
    CHECK_MSG(c->echo_len == MESSAGE_LEN && memcmp(c->echo, c->message, MESSAGE_LEN) == 0,
              "connection %d: echo of %zu bytes differs from its message", i, c->echo_len);
  }
  CHECK_EQ(bun_tcp_loop_socket_count(client_loop), 0);
  bun_tcp_loop_free(client_loop);

  test_case("stop every server loop from main with bun_tcp_loop_post");
  for (int i = 0; i < SERVER_LOOPS; i++)
    CHECK_OK(bun_tcp_loop_post(g_servers[i].loop, stop_server, &g_servers[i]));
  for (int i = 0; i < SERVER_LOOPS; i++) CHECK(pthread_join(threads[i], NULL) == 0);

  test_case("every loop got connections; counts and echoes add up");
  int total = 0;
  long bytes = 0;
  for (int i = 0; i < SERVER_LOOPS; i++) {
    server_loop *sl = &g_servers[i];
    printf("  loop %d: %d connections\n", i, sl->accepted);
    CHECK_MSG(sl->accepted >= 1, "loop %d accepted no connection", i);
    CHECK_EQ(sl->closed, sl->accepted);
    CHECK_EQ(sl->close_errors, 0);
    CHECK_EQ(sl->wrong_thread, 0);
    CHECK_EQ(sl->sockets_left, 0);
    total += sl->accepted;
    bytes += sl->bytes_echoed;
  }
  CHECK_EQ(total, CONNECTIONS);
  CHECK_EQ(bytes, (long)CONNECTIONS * MESSAGE_LEN);

  pthread_barrier_destroy(&g_port_bound);
  pthread_barrier_destroy(&g_listening);
  return test_pass();
}
