#ifndef LOGMILL_CZLIB_SHIM_H
#define LOGMILL_CZLIB_SHIM_H
#include <zlib.h>
#include <stddef.h>
#include <string.h>
/* memmem is a GNU extension that Swift's Glibc module does not expose without _GNU_SOURCE. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
extern void *memrchr(const void *s, int c, size_t n);
#endif
