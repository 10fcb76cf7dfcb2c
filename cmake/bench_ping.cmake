# The PING benchmark server and its smoke test. Included by the top-level CMakeLists.txt.
if(BUN_TCP_BUILD_BENCH)
  bun_tcp_add_program(ping_server bun_tcp_static "${CMAKE_CURRENT_SOURCE_DIR}/bench/ping/ping_server.c")
  # One tiny round of the PING benchmark (skipped with 77 only when Bun cannot be fetched).
  add_test(NAME bench_ping_smoke
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/bench/ping/run.sh" --smoke
            --server-bin $<TARGET_FILE:ping_server>)
  set_tests_properties(bench_ping_smoke PROPERTIES
    TIMEOUT 120 LABELS "bench" SKIP_RETURN_CODE 77 ENVIRONMENT "${BUN_TCP_TEST_ENV}")
endif()
