# Tests of the example programs in c-examples/ (each is built by the top-level CMakeLists.txt as a
# program of the same name): one script in tests/examples/ per example, run against the program
# with real peers (python3, redis-cli / redis-benchmark, curl, openssl s_client).
find_package(Python3 COMPONENTS Interpreter)
set(_bun_tcp_example_tests "${CMAKE_CURRENT_SOURCE_DIR}/tests/examples")

# bun_tcp_example_test(<example program> <script> [TLS] [TIMEOUT s]): registers example_<program>.
function(bun_tcp_example_test program script)
  cmake_parse_arguments(arg "TLS" "TIMEOUT" "" ${ARGN})
  if(NOT TARGET ${program})
    return()
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()
  if(script MATCHES "\\.py$")
    if(NOT Python3_Interpreter_FOUND)
      message(WARNING "python3 not found: example_${program} is not registered")
      return()
    endif()
    set(runner "${Python3_EXECUTABLE}")
  else()
    set(runner bash)
  endif()
  add_test(NAME example_${program}
    COMMAND ${runner} "${_bun_tcp_example_tests}/${script}" $<TARGET_FILE:${program}>)
  set_tests_properties(example_${program} PROPERTIES
    TIMEOUT ${arg_TIMEOUT} LABELS "example" SKIP_RETURN_CODE 77 ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  if(arg_TLS)
    set_tests_properties(example_${program} PROPERTIES
      LABELS "example;tls" FIXTURES_REQUIRED bun_tcp_tls_fixtures
      ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  endif()
endfunction()

bun_tcp_example_test(port_forwarder port_forwarder_test.py TIMEOUT 180)
bun_tcp_example_test(chat_server chat_server_test.py)
bun_tcp_example_test(redis_server redis_server_test.py TIMEOUT 120)
bun_tcp_example_test(http_server http_server_test.py)
bun_tcp_example_test(tls_sni_echo tls_sni_echo_test.sh TLS)
bun_tcp_example_test(socket_activated socket_activated_test.sh) # needs systemd-socket-activate, socat
# The handover test drives two programs: the server (old and new) and the client load.
if(TARGET handover AND TARGET handover_load)
  add_test(NAME example_handover
    COMMAND bash "${_bun_tcp_example_tests}/handover_test.sh" $<TARGET_FILE:handover> $<TARGET_FILE:handover_load>)
  set_tests_properties(example_handover PROPERTIES
    TIMEOUT 120 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
endif()
