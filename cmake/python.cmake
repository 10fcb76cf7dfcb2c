# The Python host (the package in bindings/python/src/bun_tcp, ctypes): its unittest suite runs against the
# build tree's shared library (lib/libbun_tcp.so.0, the SONAME a program would load).
find_package(Python3 3.11 COMPONENTS Interpreter)   # the binding uses add_note (3.11)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "python3 not found: the Python host test (python_host) is not registered")
  return()
endif()

add_test(NAME python_host
  COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/python/test_bun_tcp.py")
set_tests_properties(python_host PROPERTIES
  TIMEOUT 120 LABELS "hosts"
  ENVIRONMENT "${BUN_TCP_TEST_ENV};BUN_TCP_LIB=${BUN_TCP_BUILD_LIB_DIR}/libbun_tcp.so.${BUN_TCP_SOVERSION}")

# The rest of the Python API (TLS, timers, call_soon_threadsafe, listen_fd, adopt/detach, ...) and
# its error paths, against the source tree's package and the build tree's library.
if(BUN_TCP_BUILD_TESTS)
  add_test(NAME python_features
    COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/python/test_features.py")
  set_tests_properties(python_features PROPERTIES
    TIMEOUT 120 LABELS "hosts;python" FIXTURES_REQUIRED bun_tcp_tls_fixtures
    ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV};BUN_TCP_LIB=${BUN_TCP_BUILD_LIB_DIR}/libbun_tcp.so.${BUN_TCP_SOVERSION}")
endif()

# The pip package (bindings/python/pyproject.toml): a fresh venv in the build tree, `pip
# install` (cargo builds the library into the wheel), then a TLS echo, timers and a
# call_soon_threadsafe from a directory outside the checkout, and the README's Python example.
if(BUN_TCP_BUILD_TESTS)
  add_test(NAME python_package
    COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/python/package_test.py")
  set_tests_properties(python_package PROPERTIES
    TIMEOUT 600 LABELS "hosts;python" FIXTURES_REQUIRED bun_tcp_tls_fixtures
    ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV};CARGO=${CARGO_EXECUTABLE};CARGO_TARGET_DIR=${BUN_TCP_CARGO_TARGET_DIR}")
endif()

# No silent drift: every function of bun_tcp.h has a counterpart in bun_tcp.hpp, the Python
# package and docs/migration.md, or a `name: reason` line in tests/drift/exclude-*.txt.
add_test(NAME api_drift
  COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/drift/check_drift.py"
          "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(api_drift PROPERTIES TIMEOUT 60 LABELS "hosts;docs")

# The guide's Python examples (docs/examples/*.py), against the source tree's package and the
# build tree's library; python_package runs them again from its venv.
file(GLOB BUN_TCP_DOCS_PY_EXAMPLES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/docs/examples/*.py")
foreach(src IN LISTS BUN_TCP_DOCS_PY_EXAMPLES)
  get_filename_component(name "${src}" NAME_WE)
  add_test(NAME docs_${name} COMMAND "${Python3_EXECUTABLE}" "${src}")
  set_tests_properties(docs_${name} PROPERTIES
    TIMEOUT 60 LABELS "hosts;python" SKIP_RETURN_CODE 77
    FIXTURES_REQUIRED bun_tcp_tls_fixtures
    ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV};PYTHONPATH=${CMAKE_CURRENT_SOURCE_DIR}/bindings/python/src;BUN_TCP_LIB=${BUN_TCP_BUILD_LIB_DIR}/libbun_tcp.so.${BUN_TCP_SOVERSION}")
endforeach()
