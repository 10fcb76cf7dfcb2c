/* handover_load: the clients of the handover test (c-examples/handover_test.sh). Plain blocking
 * sockets, so that what it measures is the server side only.
 *
 *   handover_load PORT FLAG_FILE BEFORE AFTER
 *
 * Four threads connect to 127.0.0.1:PORT over and over; each connection sends a line, reads the
 * whole echo back, checks it and closes. Two more connections stay open the whole time and send a
 * line every 20 ms (they were accepted by the old server, which must keep serving them while it
 * drains). Once BEFORE short connections completed it prints "load: warmed up"; it stops AFTER
 * completed connections after FLAG_FILE appeared (the test creates it once the handover is done).
 * It ends once AFTER connections completed after the flag and the long connections answered 10
 * times since. Prints "load: completed=N refused=R failed=F pings=P pings_after=A long=2" and exits
 * 0 only if R and F are 0; the first refusal or failure ends the run at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SHORT_THREADS 4
#define LONG_CONNECTIONS 2

static uint16_t port;
static const char *flag_file;
static long before, after;
static atomic_long completed, refused, failed, pings, pings_after, completed_after;
static atomic_bool flag_seen, done;

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {.tv_sec = 10}; /* a hung server fails the run instead of hanging it */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (errno == ECONNREFUSED)
      atomic_fetch_add(&refused, 1);
    else
      atomic_fetch_add(&failed, 1);
    fprintf(stderr, "load: connect: %s\n", strerror(errno));
    atomic_store(&done, true); /* one refusal fails the run: stop at once and report */
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends `line` and reads exactly its length back; true if the echo matches. */
static bool round_trip(int fd, const char *line) {
  size_t len = strlen(line), got = 0;
  char back[128];
  if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) return false;
  while (got < len) {
    ssize_t n = recv(fd, back + got, len - got, 0);
    if (n <= 0) return false;
    got += (size_t)n;
  }
  return memcmp(back, line, len) == 0;
}

static void *short_connections(void *arg) {
  long id = (long)arg;
  char line[64];
  for (long i = 0; !atomic_load(&done); i++) {
    int fd = dial();
    if (fd < 0) continue;
    snprintf(line, sizeof line, "thread %ld connection %ld\n", id, i);
    bool ok = round_trip(fd, line);
    close(fd);
    if (!ok) {
      atomic_fetch_add(&failed, 1);
      fprintf(stderr, "load: echo failed on \"%s\"\n", line);
      atomic_store(&done, true);
      continue;
    }
    long n = atomic_fetch_add(&completed, 1) + 1;
    if (n == before) printf("load: warmed up\n");
    if (!atomic_load(&flag_seen) && access(flag_file, F_OK) == 0) atomic_store(&flag_seen, true);
    /* done once the new server alone served AFTER connections and the old one kept answering on
     * the long connections meanwhile */
    if (atomic_load(&flag_seen) && atomic_fetch_add(&completed_after, 1) + 1 >= after &&
        atomic_load(&pings_after) >= 10)
      atomic_store(&done, true);
  }
  return NULL;
}

static void *long_connection(void *arg) {
  int fd = dial();
  if (fd < 0) return NULL;
  char line[64];
  struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
  for (long i = 0; !atomic_load(&done); i++) {
    snprintf(line, sizeof line, "long %ld ping %ld\n", (long)arg, i);
    if (!round_trip(fd, line)) {
      atomic_fetch_add(&failed, 1);
      fprintf(stderr, "load: the long connection %ld broke\n", (long)arg);
      atomic_store(&done, true);
      break;
    }
    atomic_fetch_add(&pings, 1);
    if (atomic_load(&flag_seen)) atomic_fetch_add(&pings_after, 1);
    nanosleep(&pause, NULL); /* pacing, not synchronisation */
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: handover_load PORT FLAG_FILE BEFORE AFTER\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  port = (uint16_t)atoi(argv[1]);
  flag_file = argv[2];
  before = atol(argv[3]);
  after = atol(argv[4]);
  pthread_t t[SHORT_THREADS + LONG_CONNECTIONS];
  for (long i = 0; i < LONG_CONNECTIONS; i++) pthread_create(&t[i], NULL, long_connection, (void *)i);
  for (long i = 0; i < SHORT_THREADS; i++) pthread_create(&t[LONG_CONNECTIONS + i], NULL, short_connections, (void *)i);
  for (int i = 0; i < SHORT_THREADS + LONG_CONNECTIONS; i++) pthread_join(t[i], NULL);
  printf("load: completed=%ld refused=%ld failed=%ld pings=%ld pings_after=%ld long=%d\n", atomic_load(&completed),
         atomic_load(&refused), atomic_load(&failed), atomic_load(&pings), atomic_load(&pings_after), LONG_CONNECTIONS);
  return atomic_load(&refused) == 0 && atomic_load(&failed) == 0 ? 0 : 1;
}
