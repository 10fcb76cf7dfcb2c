# Scale-out (included by the top-level CMakeLists.txt inside if(BUN_TCP_BUILD_TESTS)):
#   multicore_echo     c-examples/multicore_echo.c (built by the examples glob) + its example test
#   scale_multicore    tests/scale/test_multicore.c: 4 reuse_port loops on 4 threads, 200 echoes
#   uv_poll_host       c-examples/libuv/uv_poll_host.c, only when pkg-config finds libuv
#   wakeup_latency     bench/wakeup/wakeup_latency.c: post / wakeup latency figures
#   scale_100k         tests/scale/scale_100k.c: scripts/scale.sh runs 100,000 connections;
#                      ctest runs a 2,000-connection smoke
set(_bun_tcp_scale_dir "${CMAKE_CURRENT_SOURCE_DIR}/tests/scale")

bun_tcp_add_program(test_multicore bun_tcp_static "${_bun_tcp_scale_dir}/test_multicore.c")
target_include_directories(test_multicore PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests/c")
add_test(NAME scale_multicore COMMAND test_multicore)

bun_tcp_add_program(scale_100k bun_tcp_static "${_bun_tcp_scale_dir}/scale_100k.c")
add_test(NAME scale_smoke COMMAND scale_100k -n 2000 -t 60)

set_tests_properties(scale_multicore scale_smoke PROPERTIES
  TIMEOUT 120 LABELS "c" ENVIRONMENT "${BUN_TCP_TEST_ENV}")

if(BUN_TCP_BUILD_EXAMPLES AND TARGET multicore_echo AND TARGET echo_client)
  add_test(NAME example_multicore_echo
    COMMAND bash "${_bun_tcp_scale_dir}/example_multicore_echo.sh"
            $<TARGET_FILE:multicore_echo> $<TARGET_FILE:echo_client>)
  set_tests_properties(example_multicore_echo PROPERTIES
    TIMEOUT 60 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
endif()

if(BUN_TCP_BUILD_EXAMPLES)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(BUN_TCP_LIBUV QUIET IMPORTED_TARGET libuv)
  endif()
  if(BUN_TCP_LIBUV_FOUND)
    bun_tcp_add_program(uv_poll_host bun_tcp_static
                        "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/libuv/uv_poll_host.c")
    target_link_libraries(uv_poll_host PRIVATE PkgConfig::BUN_TCP_LIBUV)
    add_test(NAME example_uv_poll_host COMMAND uv_poll_host)
    set_tests_properties(example_uv_poll_host PROPERTIES
      TIMEOUT 30 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  else()
    message(STATUS "libuv not found by pkg-config (apt: libuv1-dev): "
                   "c-examples/libuv/uv_poll_host is not built")
  endif()
endif()

if(BUN_TCP_BUILD_BENCH)
  bun_tcp_add_program(wakeup_latency bun_tcp_static
                      "${CMAKE_CURRENT_SOURCE_DIR}/bench/wakeup/wakeup_latency.c")
  add_test(NAME bench_wakeup_smoke COMMAND wakeup_latency 200)
  set_tests_properties(bench_wakeup_smoke PROPERTIES
    TIMEOUT 60 LABELS "bench" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
endif()
