# The C example programs (c-examples/*.c), each built as a program of the same name, and the
# demo and echo example tests. Included by the top-level CMakeLists.txt.
if(BUN_TCP_BUILD_EXAMPLES)
  file(GLOB BUN_TCP_EXAMPLES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/*.c")
  foreach(src IN LISTS BUN_TCP_EXAMPLES)
    get_filename_component(name "${src}" NAME_WE)
    bun_tcp_add_program(${name} bun_tcp_static "${src}")
  endforeach()

  if(TARGET demo)
    # The demo also runs as a test, once linked statically and once against the shared library.
    bun_tcp_add_program(demo_shared bun_tcp_shared "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/demo.c")
    add_test(NAME example_demo COMMAND demo)
    add_test(NAME example_demo_shared COMMAND demo_shared)
    set_tests_properties(example_demo example_demo_shared PROPERTIES
      TIMEOUT 30 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  endif()
  if(TARGET echo_server AND TARGET echo_client)
    add_test(NAME example_echo
      COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/echo_test.sh"
              $<TARGET_FILE:echo_server> $<TARGET_FILE:echo_client>)
    set_tests_properties(example_echo PROPERTIES
      TIMEOUT 30 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  endif()
endif()
