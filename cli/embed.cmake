# embed.cmake - turn a file into a C array, so clusterctl carries its remote
# helper script (remote.sh) inside the binary.
#   cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed.cmake
# defines: const unsigned char NAME[] (NUL-terminated), const size_t NAME_len.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR len "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n\t" body "${body}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
"/* Generated from ${name} by embed.cmake: do not edit. */
#include <stddef.h>

extern const unsigned char ${SYMBOL}[];
extern const size_t ${SYMBOL}_len;

const unsigned char ${SYMBOL}[] = {
\t${body}0x00
};
const size_t ${SYMBOL}_len = ${len};
")
file(RENAME "${OUT}.tmp" "${OUT}")
