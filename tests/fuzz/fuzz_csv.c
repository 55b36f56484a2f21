/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the CSV loader: the bytes are a CSV file, fed to the
 * same parser and sink `matgrad fit --target y` uses.  The first byte also
 * picks how the input is cut into chunks (one piece, two pieces at a chosen
 * point, or byte by byte), because the loader must give the same result
 * whatever the chunk boundaries; that result is checked here. */
#include "csv_load.h"
#include "fit_data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct outcome {
    int rc;
    size_t rows, line;
    char msg[256];
} outcome;

static outcome load(const uint8_t *data, size_t size, int mode, size_t split)
{
    mgcli_fit_data d;
    mgcli_fit_data_init(&d, "y", mode & 1);
    mgcli_csv_sink sink = mgcli_fit_data_sink(&d);
    mgcli_csv *p = mgcli_csv_new(&sink);
    outcome o = { 0 };
    if (!p)
        abort();
    int rc = 0;
    if (mode == 2) {
        for (size_t i = 0; i < size && rc == 0; i++)
            rc = mgcli_csv_feed(p, data + i, 1);
    } else {
        rc = mgcli_csv_feed(p, data, split);
        if (rc == 0)
            rc = mgcli_csv_feed(p, data + split, size - split);
    }
    if (rc == 0)
        rc = mgcli_csv_finish(p);
    o.rc = rc;
    o.rows = d.n;
    if (rc) {
        o.line = mgcli_csv_error_of(p)->line;
        memcpy(o.msg, mgcli_csv_error_of(p)->msg, sizeof o.msg);
    }
    mgcli_csv_free(p);
    mgcli_fit_data_free(&d);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int mode = size ? data[0] % 3 : 0;
    size_t split = size ? (size_t)data[0] * size / 256 : 0;
    outcome whole = load(data, size, 0, size);
    outcome cut = load(data, size, mode, split);
    /* chunking must not change the outcome (mode 1 only adds the
     * explicit intercept column, which does not change rows or errors) */
    if (whole.rc != cut.rc || whole.rows != cut.rows || whole.line != cut.line ||
        strcmp(whole.msg, cut.msg) != 0)
        abort();
    return 0;
}
