/* SPDX-License-Identifier: BSD-3-Clause */
/* Private: the byte layer of matgrad's binary images (the fit engine's
 * state, src/fit/serialize.c, and the robust covariance state,
 * src/infer/hc.c): 64-bit words little-endian whatever the host, doubles as
 * their IEEE bits in such a word, and the FNV-1a hash that closes an image. */
#ifndef MATGRAD_IMAGE_BYTES_H
#define MATGRAD_IMAGE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void mg__put_u64(unsigned char **p, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        *(*p)++ = (unsigned char)(v >> (8 * b));
}

static inline void mg__put_f64(unsigned char **p, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    mg__put_u64(p, v);
}

static inline uint64_t mg__get_u64(const unsigned char **p)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)*(*p)++ << (8 * b);
    return v;
}

static inline double mg__get_f64(const unsigned char **p)
{
    const uint64_t v = mg__get_u64(p);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

/* FNV-1a, 64 bits, of len bytes. */
static inline uint64_t mg__fnv1a(const unsigned char *b, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

#endif /* MATGRAD_IMAGE_BYTES_H */
