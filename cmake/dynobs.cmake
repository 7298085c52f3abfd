# Helpers that keep each folder's CMakeLists.txt a plain list (abseil's absl_cc_library,
# leveldb's leveldb_test()).

# dynobs_cc_library(NAME name SRCS ... DEPS ...): one static library per layer, dynobs::name.
function(dynobs_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(dynobs_${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(dynobs::${ARG_NAME} ALIAS dynobs_${ARG_NAME})
  target_include_directories(dynobs_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dynobs_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# dynobs_cc_test(NAME name SRCS ... DEPS ... [LABELS ...]): a gtest binary registered with CTest.
function(dynobs_cc_test)
  if(NOT DYNOBS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 300)
endfunction()

# dynobs_cc_bench(NAME name SRCS ... DEPS ...): a Google Benchmark binary, run by `make bench`.
function(dynobs_cc_bench)
  if(NOT DYNOBS_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  set_property(GLOBAL APPEND PROPERTY DYNOBS_BENCHMARKS ${ARG_NAME})
endfunction()
