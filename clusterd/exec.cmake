# The agent executor (exec.c, exec-op.c, exec-spec.c) and OCF meta-data
# parsing (exec-meta.c) as a library: the daemon links it, and tests/exec
# drives the same code.
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
add_library(cdexec STATIC exec.c exec-op.c exec-spec.c exec-meta.c exec-cgroup.c)
target_include_directories(cdexec PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}
    ${CMAKE_SOURCE_DIR}/agents/common)
target_link_libraries(cdexec PUBLIC cdcommon PkgConfig::QB PkgConfig::JSONC
    PkgConfig::LIBXML2)
