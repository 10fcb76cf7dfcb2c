# The Zig host (bindings/zig): `zig build test` @cImports bun_tcp.h and links libbun_tcp.a. The
# script installs the pinned Zig from PyPI (ziglang) into the build tree on first use.
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "python3 not found: the Zig host test (zig_host) is not registered")
  return()
endif()

add_test(NAME zig_host
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/bindings/zig/run_test.sh"
          "${CMAKE_CURRENT_BINARY_DIR}/zig" "${BUN_TCP_STATIC_LIB}" "${BUN_TCP_INCLUDE_DIR}")
set_tests_properties(zig_host PROPERTIES
  TIMEOUT 300 LABELS "hosts"
  ENVIRONMENT "${BUN_TCP_TEST_ENV};PYTHON=${Python3_EXECUTABLE}")
