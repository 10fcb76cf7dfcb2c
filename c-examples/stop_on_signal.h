/* stop_on_signal.h: run a shutdown function on the loop's thread when SIGINT or SIGTERM arrives.
 *
 * Handlers of a bun_tcp loop run on its thread, and a signal handler may not call the library.
 * So the signals are blocked in every thread, one small thread waits for them with sigwait(),
 * and hands the shutdown to the loop with bun_tcp_loop_post (the thread-safe entry point).
 *
 *   block_stop_signals();                  first thing in main, before any thread exists
 *   ... create the loop, listen ...
 *   stop_on_signal(loop, shut_down, arg);  shut_down(arg) later runs inside bun_tcp_poll
 */
#ifndef STOP_ON_SIGNAL_H
#define STOP_ON_SIGNAL_H

#include <bun_tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct stop_request {
  bun_tcp_loop *loop;
  void (*shut_down)(void *arg);
  void *arg;
};

static sigset_t stop_signals;

static void block_stop_signals(void) {
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* threads created later inherit the mask */
}

static void *wait_for_stop_signal(void *request) {
  struct stop_request *r = request;
  int signo;
  if (sigwait(&stop_signals, &signo) == 0) bun_tcp_loop_post(r->loop, r->shut_down, r->arg);
  free(r);
  return NULL;
}

/* Returns 0, or -1 when the waiting thread could not be started. */
static int stop_on_signal(bun_tcp_loop *loop, void (*shut_down)(void *arg), void *arg) {
  struct stop_request *r = malloc(sizeof *r);
  pthread_t thread;
  if (!r) return -1;
  *r = (struct stop_request){loop, shut_down, arg};
  if (pthread_create(&thread, NULL, wait_for_stop_signal, r) != 0) {
    free(r);
    return -1;
  }
  pthread_detach(thread);
  return 0;
}

#endif /* STOP_ON_SIGNAL_H */
