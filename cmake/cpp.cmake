# The C++ header (include/bun_tcp.hpp): its test, its example, and a check that both headers
# compile as strict C++. Included by the top-level CMakeLists.txt inside if(BUN_TCP_BUILD_TESTS).
include(CheckLanguage)
check_language(CXX)
if(NOT CMAKE_CXX_COMPILER)
  message(STATUS "bun_tcp: no C++ compiler found: bun_tcp.hpp is not built or tested")
  return()
endif()
enable_language(CXX)

set(BUN_TCP_CXX_WARNINGS -Wall -Wextra -Wpedantic -Werror)

# bun_tcp_add_cxx_program(<name> <sources...>): C++17, strict warnings, sanitizers, libbun_tcp.a.
function(bun_tcp_add_cxx_program name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE bun_tcp_static)
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON
                                           CXX_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE ${BUN_TCP_CXX_WARNINGS} ${BUN_TCP_SAN_FLAGS})
  if(BUN_TCP_SAN_FLAGS)
    target_link_options(${name} PRIVATE ${BUN_TCP_SAN_FLAGS})
  endif()
  add_dependencies(${name} bun_tcp_cargo)
endfunction()

# The C++ test reuses the C suite's harness.h (assertions, deadlines, SHA-256).
bun_tcp_add_cxx_program(test_hpp "${CMAKE_CURRENT_SOURCE_DIR}/tests/cpp/test_hpp.cpp")
target_include_directories(test_hpp PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests/c")
add_test(NAME cpp_test_hpp COMMAND test_hpp)
set_tests_properties(cpp_test_hpp PROPERTIES
  TIMEOUT 120 LABELS "c;cpp" ENVIRONMENT "${BUN_TCP_TEST_ENV}")

# The rest of the C++ API (timers, post, tracing, listen_fd, reload, STARTTLS, TLS queries, adopt).
bun_tcp_add_cxx_program(test_hpp_api "${CMAKE_CURRENT_SOURCE_DIR}/tests/cpp/test_hpp_api.cpp")
target_include_directories(test_hpp_api PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests/c")
add_test(NAME cpp_test_hpp_api COMMAND test_hpp_api)
set_tests_properties(cpp_test_hpp_api PROPERTIES
  TIMEOUT 120 LABELS "c;cpp;tls" ENVIRONMENT "${BUN_TCP_TLS_TEST_ENV}")
if(TEST tls_fixtures)
  set_tests_properties(cpp_test_hpp_api PROPERTIES FIXTURES_REQUIRED bun_tcp_tls_fixtures)
endif()

# docs/guide.md's C++ example (ctest docs_cpp_app): checks what the guide says about bun_tcp.hpp.
bun_tcp_add_cxx_program(docs_cpp_app "${CMAKE_CURRENT_SOURCE_DIR}/docs/examples/cpp_app.cpp")
add_test(NAME docs_cpp_app COMMAND docs_cpp_app)
set_tests_properties(docs_cpp_app PROPERTIES
  TIMEOUT 60 LABELS "example;cpp" ENVIRONMENT "${BUN_TCP_TEST_ENV}")

# Every function of bun_tcp.h has a counterpart in bun_tcp.hpp.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME cpp_covers_header
    COMMAND "${Python3_EXECUTABLE}" "${CMAKE_CURRENT_SOURCE_DIR}/tests/cpp/check_coverage.py"
            "${CMAKE_CURRENT_SOURCE_DIR}")
  set_tests_properties(cpp_covers_header PROPERTIES TIMEOUT 30 LABELS "cpp")
endif()

# Both headers compile on their own as C++17 and C++20 with every warning an error: a header
# that does not fails the build.
foreach(_bun_tcp_std 17 20)
  if("cxx_std_${_bun_tcp_std}" IN_LIST CMAKE_CXX_COMPILE_FEATURES)
    add_library(bun_tcp_headers_cxx${_bun_tcp_std} OBJECT
                "${CMAKE_CURRENT_SOURCE_DIR}/tests/cpp/headers_compile.cpp")
    target_include_directories(bun_tcp_headers_cxx${_bun_tcp_std} PRIVATE "${BUN_TCP_INCLUDE_DIR}")
    set_target_properties(bun_tcp_headers_cxx${_bun_tcp_std} PROPERTIES
      CXX_STANDARD ${_bun_tcp_std} CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
    target_compile_options(bun_tcp_headers_cxx${_bun_tcp_std} PRIVATE ${BUN_TCP_CXX_WARNINGS})
    add_dependencies(bun_tcp_headers_cxx${_bun_tcp_std} bun_tcp_cargo)
  endif()
endforeach()

# The example: c-examples/cpp/echo_server.cpp against the C echo_client, by c-examples/echo_test.sh.
if(BUN_TCP_BUILD_EXAMPLES)
  bun_tcp_add_cxx_program(cpp_echo_server
                          "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/cpp/echo_server.cpp")
  if(TARGET echo_client)
    add_test(NAME example_cpp_echo
      COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/c-examples/echo_test.sh"
              $<TARGET_FILE:cpp_echo_server> $<TARGET_FILE:echo_client>)
    set_tests_properties(example_cpp_echo PROPERTIES
      TIMEOUT 30 LABELS "example" ENVIRONMENT "${BUN_TCP_TEST_ENV}")
  endif()
endif()

