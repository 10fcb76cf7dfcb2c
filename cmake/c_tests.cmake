# The C test programs (tests/c/test_*.c, one ctest c_<name> each, linked with the shared helpers
# in tests/c/*.c), the TLS fixtures and the TLS interop tests. Included by CMakeLists.txt.
if(BUN_TCP_BUILD_TESTS)
  file(GLOB BUN_TCP_C_TESTS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/tests/c/test_*.c")
  # Every other tests/c/*.c is a shared helper linked into each test.
  file(GLOB BUN_TCP_C_TEST_HELPERS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/tests/c/*.c")
  if(BUN_TCP_C_TESTS)
    list(REMOVE_ITEM BUN_TCP_C_TEST_HELPERS ${BUN_TCP_C_TESTS})
  endif()
  if(BUN_TCP_C_TEST_HELPERS)
    add_library(bun_tcp_test_helpers STATIC ${BUN_TCP_C_TEST_HELPERS})
    target_link_libraries(bun_tcp_test_helpers PUBLIC bun_tcp_static)
    target_include_directories(bun_tcp_test_helpers PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/tests/c")
    target_compile_options(bun_tcp_test_helpers PRIVATE ${BUN_TCP_C_WARNINGS} ${BUN_TCP_SAN_FLAGS})
    add_dependencies(bun_tcp_test_helpers bun_tcp_cargo)
    set(_bun_tcp_test_lib bun_tcp_test_helpers)
  else()
    set(_bun_tcp_test_lib bun_tcp_static)
  endif()

  # TLS fixtures (certificates and keys, generated with the openssl CLI by
  # tests/tls/make-fixtures.sh, once per build tree): a ctest fixture that every TLS test
  # requires, so `ctest -R c_test_tls_x` or `ctest -L tls-interop` generates them first.
  set(BUN_TCP_TLS_FIXTURE_DIR "${CMAKE_CURRENT_BINARY_DIR}/tls-fixtures")
  add_test(NAME tls_fixtures
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/make-fixtures.sh" "${BUN_TCP_TLS_FIXTURE_DIR}")
  set_tests_properties(tls_fixtures PROPERTIES
    TIMEOUT 60 LABELS "c;tls;tls-interop" FIXTURES_SETUP bun_tcp_tls_fixtures)
  set(BUN_TCP_TLS_TEST_ENV ${BUN_TCP_TEST_ENV} "BUN_TCP_TLS_FIXTURES=${BUN_TCP_TLS_FIXTURE_DIR}")

  foreach(src IN LISTS BUN_TCP_C_TESTS)
    get_filename_component(name "${src}" NAME_WE)
    bun_tcp_add_program(${name} ${_bun_tcp_test_lib} "${src}")
    target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests/c")
    add_test(NAME c_${name} COMMAND ${name})
    set_tests_properties(c_${name} PROPERTIES
      TIMEOUT 60 LABELS "c" SKIP_RETURN_CODE 77
      WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
      ENVIRONMENT "${BUN_TCP_TEST_ENV}")
    if(name MATCHES "^test_tls_" OR name STREQUAL "test_reentrancy_matrix")
      set_tests_properties(c_${name} PROPERTIES
        LABELS "c;tls" FIXTURES_REQUIRED bun_tcp_tls_fixtures
        ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
    endif()
    if(name STREQUAL "test_reentrancy_matrix")
      # over a thousand cells, each with its own loop (about 30 s; more under ASan)
      set_tests_properties(c_${name} PROPERTIES TIMEOUT 300)
    endif()
  endforeach()

  # TLS interop with real peers (tests/tls/interop_*.sh), 16 MiB each way with SHA-256 checks:
  # the openssl CLI (s_client against us, us against s_server) and Bun 1.4.4 (both ways, through
  # c-examples/tls_echo_server and c-examples/tls_client). tls_peer is bun_tcp's side.
  bun_tcp_add_program(tls_peer bun_tcp_static "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/tls_peer.c")
  add_test(NAME tls_interop_openssl
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/interop_openssl.sh"
            $<TARGET_FILE:tls_peer> "${BUN_TCP_TLS_FIXTURE_DIR}")
  set_tests_properties(tls_interop_openssl PROPERTIES
    TIMEOUT 300 LABELS "tls-interop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED bun_tcp_tls_fixtures
    ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  if(TARGET tls_echo_server AND TARGET tls_client)
    add_test(NAME tls_interop_bun
      COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/interop_bun.sh"
              $<TARGET_FILE:tls_echo_server> $<TARGET_FILE:tls_client> $<TARGET_FILE:tls_peer>
              "${BUN_TCP_TLS_FIXTURE_DIR}")
    set_tests_properties(tls_interop_bun PROPERTIES
      TIMEOUT 300 LABELS "tls-interop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED bun_tcp_tls_fixtures
      ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  endif()
  # Session resumption with Bun 1.4.4 both ways (3 connections per case; see the script's header).
  add_test(NAME tls_interop_bun_sessions
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/interop_bun_sessions.sh"
            $<TARGET_FILE:tls_peer> "${BUN_TCP_TLS_FIXTURE_DIR}")
  set_tests_properties(tls_interop_bun_sessions PROPERTIES
    TIMEOUT 300 LABELS "tls-interop" SKIP_RETURN_CODE 77 FIXTURES_REQUIRED bun_tcp_tls_fixtures
    ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  if(TARGET tls_echo_server AND TARGET tls_client)
    # The two TLS examples against each other (no Bun needed).
    add_test(NAME example_tls_echo
      COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/tls/example_tls_echo.sh"
              $<TARGET_FILE:tls_echo_server> $<TARGET_FILE:tls_client> "${BUN_TCP_TLS_FIXTURE_DIR}")
    set_tests_properties(example_tls_echo PROPERTIES
      TIMEOUT 60 LABELS "example;tls" FIXTURES_REQUIRED bun_tcp_tls_fixtures
      ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  endif()
endif()
