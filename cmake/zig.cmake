# The Zig package (bindings/zig): `zig build test` runs its echo test through the package's module
# (linked with CMake's libbun_tcp.a), then the example project bindings/zig/example, which depends
# on the package by path, builds the library through cargo and runs. The script installs the
# pinned Zig from PyPI (ziglang) into the build tree on first use.
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
  ENVIRONMENT "${BUN_TCP_TEST_ENV};PYTHON=${Python3_EXECUTABLE};CARGO=${CARGO_EXECUTABLE}")
