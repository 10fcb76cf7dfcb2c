# The differential suite against Bun 1.4.4 (tests/conformance/README.md): run.py builds each
# scenario's c.c against libbun_tcp.a itself (with the sanitizer flags of this build), runs it and
# its bun.js twin, and compares the traces; then the Bun <-> bun_tcp interop tests. Bun comes from
# BUN_TCP_BUN or scripts/fetch_bun.sh (npm); exit 77 (skip) when neither works.
option(BUN_TCP_BUILD_CONFORMANCE "Register tests/conformance (needs python3 >= 3.11 and Bun)"  ${BUN_TCP_IS_TOP_LEVEL})
if(BUN_TCP_BUILD_CONFORMANCE)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    set(_bun_tcp_conf_args --lib "${BUN_TCP_STATIC_LIB}"
                           --build-dir "${CMAKE_CURRENT_BINARY_DIR}/conformance")
    if(BUN_TCP_SAN_FLAGS)
      string(REPLACE ";" " " _bun_tcp_conf_cflags "${BUN_TCP_SAN_FLAGS}")
      list(APPEND _bun_tcp_conf_args "--cflags=${_bun_tcp_conf_cflags}")
    endif()
    add_test(NAME conformance_scenarios
      COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/conformance/run.py"
              --no-interop ${_bun_tcp_conf_args})
    add_test(NAME conformance_interop
      COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/conformance/run.py"
              --interop-only ${_bun_tcp_conf_args})
    set_tests_properties(conformance_scenarios conformance_interop PROPERTIES
      TIMEOUT 300 LABELS "conformance" SKIP_RETURN_CODE 77 PROCESSORS 2
      ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  else()
    message(WARNING "python3 not found: the conformance suite (tests/conformance) is not registered")
  endif()
endif()
