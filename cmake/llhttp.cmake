# llhttp (Node.js's HTTP parser) is taken from Debian's node-llhttp package, which ships its C
# sources under /usr/share. We build them as our own static library so the engine needs no
# system-wide shared library and the parser is compiled with the same flags as the rest.
find_path(LLHTTP_SOURCE_DIR NAMES llhttp.c api.c http.c
          PATHS /usr/share/llhttp /usr/local/share/llhttp NO_DEFAULT_PATH)
find_path(LLHTTP_INCLUDE_DIR NAMES llhttp.h
          PATHS /usr/share/include/llhttp /usr/local/share/include/llhttp NO_DEFAULT_PATH)
if(NOT LLHTTP_SOURCE_DIR OR NOT LLHTTP_INCLUDE_DIR)
    message(FATAL_ERROR
        "llhttp's C sources were not found in /usr/share/llhttp: install them with "
        "'apt-get install node-llhttp' (or pass -DLLHTTP_SOURCE_DIR=... -DLLHTTP_INCLUDE_DIR=...).")
endif()

add_library(llhttp STATIC
    ${LLHTTP_SOURCE_DIR}/llhttp.c
    ${LLHTTP_SOURCE_DIR}/api.c
    ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)
# Generated code: its warnings are not ours to fix.
target_compile_options(llhttp PRIVATE -w)
