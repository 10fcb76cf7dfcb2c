# docs/: the API guide's example programs and the guide's own consistency check.
#
# Every docs/examples/<concept>.c is built against the static library and runs as ctest
# docs_<concept>; each program checks what docs/guide.md says about it and exits 0 only if that
# happened (77 = skipped: the TLS example without its fixture directory). docs_excerpts checks
# that every C excerpt in docs/guide.md and docs/migration.md is verbatim from the example it names,
# and that relative links in both documents lead to files that exist.
file(GLOB BUN_TCP_DOCS_EXAMPLES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/docs/examples/*.c")
foreach(src IN LISTS BUN_TCP_DOCS_EXAMPLES)
  get_filename_component(name "${src}" NAME_WE)
  bun_tcp_add_program(docs_${name} bun_tcp_static "${src}")
  add_test(NAME docs_${name} COMMAND docs_${name})
  set_tests_properties(docs_${name} PROPERTIES
    TIMEOUT 60 LABELS "example" SKIP_RETURN_CODE 77
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  if(name MATCHES "^tls")
    set_tests_properties(docs_${name} PROPERTIES
      FIXTURES_REQUIRED bun_tcp_tls_fixtures ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
  endif()
endforeach()

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME docs_excerpts
    COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/docs/check_docs.py"
            "${CMAKE_CURRENT_SOURCE_DIR}")
  set_tests_properties(docs_excerpts PROPERTIES TIMEOUT 30 LABELS "example")
endif()

# The API reference (docs/api): Doxygen builds HTML from include/bun_tcp.h with every warning an
# error, checks that each group has its page and each function is on one, and that removing a
# function's comment fails the build. Skipped (77) only without doxygen.
add_test(NAME api_reference
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/scripts/api_docs.sh" "${CMAKE_CURRENT_BINARY_DIR}/api" --check)
set_tests_properties(api_reference PROPERTIES TIMEOUT 120 LABELS "docs" SKIP_RETURN_CODE 77)
