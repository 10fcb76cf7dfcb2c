# Checks of the repository itself: the README's example and the install tree. Included by the
# top-level CMakeLists.txt when tests are built.
# README.md shows c-examples/minimal_server.c verbatim.
add_test(NAME readme_example
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/cmake/check_readme.sh" "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(readme_example PROPERTIES TIMEOUT 60 LABELS "example")

# The install tree works for a CMake consumer (find_package) and a pkg-config consumer.
add_test(NAME install_consumer
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/cmake/test_install.sh"
          "${CMAKE_COMMAND}" "${CMAKE_CURRENT_BINARY_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(install_consumer PROPERTIES
  TIMEOUT 300 LABELS "install" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
