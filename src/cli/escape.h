/* SPDX-License-Identifier: BSD-3-Clause */
/* Text from the input shown safely in messages: no byte sequence a terminal
 * would act on reaches it.  Each of these becomes '?':
 *   - C0 control bytes (0x00-0x1F) and DEL (0x7F);
 *   - C1 control characters U+0080-U+009F written in UTF-8 (0xC2 0x80-0x9F);
 *   - bytes 0x80-0x9F that are not part of a valid UTF-8 sequence (8-bit C1
 *     controls, which a terminal not in UTF-8 mode obeys: 0x9B is CSI).
 * Valid UTF-8 sequences otherwise pass unchanged, so names in any script
 * show as written, and so do other stray bytes (0xA0-0xFF: printable in
 * Latin-1, a replacement character in a UTF-8 terminal).  Header-only, for
 * the loader's sources that the fuzz replay compiles on their own. */
#ifndef MATGRAD_CLI_ESCAPE_H
#define MATGRAD_CLI_ESCAPE_H

#include <stddef.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0, n) (2 to 4 bytes: the
 * shortest form of U+0080-U+10FFFF, no surrogates), or 0. */
static inline size_t mgcli_utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;   /* the range of the second byte */
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80;
        hi = s[0] == 0xED ? 0x9F : 0xBF;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* Appends the shown form of s[0, len) to out (size bytes, used already
 * written), whole characters only, and NUL-terminates it.  Returns the
 * number of input bytes consumed (len when everything fit). */
static inline size_t mgcli_escape(char *out, size_t size, size_t *used, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k = mgcli_utf8_len(u + i, len - i);
        int control = k ? (k == 2 && u[i] == 0xC2 && u[i + 1] <= 0x9F)
                        : (u[i] < 0x20 || u[i] == 0x7F || (u[i] >= 0x80 && u[i] <= 0x9F));
        size_t step = k ? k : 1, put = control ? 1 : step;
        if (*used + put + 1 > size)
            break;
        if (control)
            out[(*used)++] = '?';
        else
            for (size_t j = 0; j < step; j++)
                out[(*used)++] = s[i + j];
        i += step;
    }
    if (size)
        out[*used < size ? *used : size - 1] = '\0';
    return i;
}

#endif
