# cmake/bench.cmake: the benchmark's servers (bench/) and its smoke test. Included by the
# top-level CMakeLists.txt (which also builds bench/ping/ping_server and registers
# bench_ping_smoke). The benchmark itself is one command: bash bench/run.sh (see its header).
#
#   bench_http_server   bench/http/http_server.c        HTTP on bun_tcp
#   bench_epoll_server  bench/servers/epoll_server.c    PING + HTTP, hand-written epoll, no library
#   bench_libuv_server  bench/servers/libuv_server.c    PING + HTTP on libuv (apt: libuv1-dev)
#   bench_programs  all of the bench's programs (bench/build.sh builds this target)
#   bench_smoke   ctest: bench/run.sh --smoke on this build tree (every workload, tiny)
if(BUN_TCP_BUILD_BENCH)
  set(_bench_dir "${CMAKE_CURRENT_SOURCE_DIR}/bench")

  bun_tcp_add_program(bench_http_server bun_tcp_static "${_bench_dir}/http/http_server.c")

  add_executable(bench_epoll_server "${_bench_dir}/servers/epoll_server.c")
  target_compile_options(bench_epoll_server PRIVATE ${BUN_TCP_C_WARNINGS})

  find_path(BUN_TCP_LIBUV_INCLUDE_DIR uv.h)
  find_library(BUN_TCP_LIBUV_LIBRARY uv)
  if(BUN_TCP_LIBUV_INCLUDE_DIR AND BUN_TCP_LIBUV_LIBRARY)
    add_executable(bench_libuv_server "${_bench_dir}/servers/libuv_server.c")
    target_include_directories(bench_libuv_server PRIVATE "${BUN_TCP_LIBUV_INCLUDE_DIR}")
    target_link_libraries(bench_libuv_server PRIVATE "${BUN_TCP_LIBUV_LIBRARY}")
    target_compile_options(bench_libuv_server PRIVATE ${BUN_TCP_C_WARNINGS})
  else()
    message(STATUS "libuv not found (apt-get install libuv1-dev): no bench_libuv_server, bench_smoke will fail")
  endif()

  # Everything bench/build.sh builds (bench/run.sh's step 1).
  add_custom_target(bench_programs)
  add_dependencies(bench_programs ping_server bench_http_server bench_epoll_server)
  if(TARGET bench_libuv_server)
    add_dependencies(bench_programs bench_libuv_server)
  endif()

  # Every workload once, tiny. A missing tool fails it; only a missing Bun skips it (77).
  add_test(NAME bench_smoke
    COMMAND bash "${_bench_dir}/run.sh" --smoke --no-build --build-dir "${CMAKE_BINARY_DIR}")
  set_tests_properties(bench_smoke PROPERTIES
    TIMEOUT 600 LABELS "bench" SKIP_RETURN_CODE 77 PROCESSORS 2 RUN_SERIAL TRUE
    ENVIRONMENT "${BUN_TCP_TEST_ENV}")
endif()

# ---- bench B (bulk / TLS / scale): its lines go below this marker -------------------------------
# (programs that bench/run.sh needs: add_dependencies(bench_programs <target>) so build.sh builds them)

# bench/tls/handshake.sh --smoke alone (bench_smoke runs it too, inside bench/run.sh --smoke): full
# and resumed TLS 1.3 / 1.2 handshakes, bun_tcp client and openssl s_time against the bun_tcp and
# Bun servers, tiny, with its checks (resumption happens where it must). About 15 s; needs Bun
# (77: skipped without it). Its C programs are compiled by the script against this build's
# libbun_tcp.a into the build tree.
if(BUN_TCP_BUILD_BENCH)
  add_test(NAME bench_tls_handshake_smoke
    COMMAND bash -c "out=\"$1/bench_tls_handshake_smoke.tsv\"; : >\"$out\"; exec bash \"$0\" --smoke --out \"$out\""
            "${CMAKE_CURRENT_SOURCE_DIR}/bench/tls/handshake.sh" "${CMAKE_BINARY_DIR}")
  set_tests_properties(bench_tls_handshake_smoke PROPERTIES
    TIMEOUT 180 LABELS "bench" SKIP_RETURN_CODE 77 PROCESSORS 2
    ENVIRONMENT "${BUN_TCP_TEST_ENV};BUN_TCP_LIB=${BUN_TCP_STATIC_LIB};BENCH_BUILD=${CMAKE_BINARY_DIR}/bench-tls-handshake")
endif()

# ---- bench: timers (bench/timers/timer_bench.c: start+stop with 1k / 100k / 1M pending, against
# libuv's uv_timer_start / uv_timer_stop in the same run) ---------------------------------------
if(BUN_TCP_BUILD_BENCH AND TARGET bench_libuv_server)
  bun_tcp_add_program(timer_bench bun_tcp_static "${CMAKE_CURRENT_SOURCE_DIR}/bench/timers/timer_bench.c")
  target_include_directories(timer_bench PRIVATE "${BUN_TCP_LIBUV_INCLUDE_DIR}")
  target_link_libraries(timer_bench PRIVATE "${BUN_TCP_LIBUV_LIBRARY}")
  add_dependencies(bench_programs timer_bench)
  # Tiny: every code path once (the figures come from `timer_bench` with its defaults).
  add_test(NAME bench_timers_smoke COMMAND timer_bench 2000 10 1000)
  set_tests_properties(bench_timers_smoke PROPERTIES TIMEOUT 120 LABELS "bench")
endif()
