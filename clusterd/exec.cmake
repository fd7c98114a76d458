# The agent executor (exec.c) and OCF meta-data parsing (exec-meta.c) as a
# library, so tests/exec drives the same code the daemon links.
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
add_library(cdexec STATIC exec.c exec-meta.c)
target_include_directories(cdexec PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(cdexec PUBLIC cdcommon PkgConfig::QB PkgConfig::JSONC
    PkgConfig::LIBXML2)
