/* Output files that appear whole or not at all.
 *
 * A file is written under a temporary name beside its destination
 * (DEST.tmpXXXXXX, so the final rename stays on one file system) and renamed
 * over DEST only when complete.  Temporary names are removed on failure and
 * when the command is interrupted by SIGINT, SIGTERM, SIGHUP or SIGPIPE. */
#ifndef MATGRAD_CLI_OUTFILE_H
#define MATGRAD_CLI_OUTFILE_H

#include <stdio.h>

typedef struct mgcli_outfile {
    const char *dest;   /* the final path (not owned) */
    char *tmp;          /* the temporary path while open; NULL after commit/discard */
    FILE *f;            /* open for writing; NULL once closed */
} mgcli_outfile;

/* Creates the temporary file (mode 0666 & ~umask, like a plain fopen).
 * 0 on success; -1 after printing "matgrad: DEST: reason" on stderr. */
int mgcli_outfile_open(mgcli_outfile *o, const char *dest);

/* Closes the stream without renaming (for files another program fills). */
int mgcli_outfile_close_stream(mgcli_outfile *o);

/* Flushes, closes and renames over dest.  0, or -1 after printing why (the
 * temporary file is removed). */
int mgcli_outfile_commit(mgcli_outfile *o);

/* Closes and removes the temporary file; safe to call more than once. */
void mgcli_outfile_discard(mgcli_outfile *o);

#endif
