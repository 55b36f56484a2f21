/* SPDX-License-Identifier: BSD-3-Clause */
/* Output files (--output, --plot) that never destroy what they write to.
 *
 * The destination is checked when the command starts, before any input is
 * read, and what it is decides how it is written (docs/cli.md, "Output
 * files"):
 *   - "-" is standard output, written in place;
 *   - a symbolic link is followed to its final target, and the target is
 *     what gets written (the link stays a link);
 *   - a regular file, or a name that does not exist yet, is written
 *     atomically: to TARGET.tmpXXXXXX beside the target (so the rename stays
 *     on one file system), renamed over the target only when complete; an
 *     existing target keeps its permission bits and, where the system allows,
 *     its owner and group;
 *   - a character device or a FIFO is opened at once (a FIFO waits for its
 *     reader, as a shell redirection does) and written in place, every write
 *     checked (so /dev/full is a "No space left on device" error);
 *   - a directory, a block device, a socket, an empty name, an existing file
 *     without write permission (judged from its mode bits as well as by
 *     access(), which grants the superuser everything) and a directory the
 *     temporary file cannot be created in are refused.
 * The content is kept in memory until the commit, so a failure midway
 * leaves the destination untouched.  Temporary names are removed on failure
 * and when SIGINT, SIGTERM, SIGHUP or SIGPIPE ends the command. */
#ifndef MATGRAD_CLI_OUTFILE_H
#define MATGRAD_CLI_OUTFILE_H

#include <stdio.h>

typedef struct mgcli_outfile {
    const char *dest;   /* as given on the command line, for messages (not owned) */
    char *target;       /* atomic: the file replaced (dest with links resolved) */
    char *tmp;          /* atomic: the temporary file beside target */
    char *scratch;      /* direct, written by another program: its private file */
    int fd;             /* atomic: tmp; direct: the destination; -1 when closed */
    int direct;         /* written in place (standard output, device, FIFO) */
    int by_program;     /* the content is what another program wrote by name */
    FILE *f;            /* the content, in memory until the commit */
    char *buf;          /* open_memstream's buffer behind f */
    size_t len;
} mgcli_outfile;

/* Checks dest and prepares it as above.  0 on success; otherwise prints
 * "matgrad: DEST: reason" and returns the exit status: MGCLI_EXIT_USAGE for
 * a destination that cannot be written, MGCLI_EXIT_FAIL when out of memory.
 * On success the caller writes to o->f. */
int mgcli_outfile_open(mgcli_outfile *o, const char *dest);

/* 1 if dest names standard output. */
int mgcli_outfile_is_stdout(const char *dest);

/* For content another program writes by name (gnuplot): the path it must
 * write to, created empty and private; what it holds at the commit is the
 * content, and o->f is ignored.  NULL after printing why. */
const char *mgcli_outfile_program_path(mgcli_outfile *o);

/* Writes the content to the destination (rename for atomic files).  0, or -1
 * after printing "matgrad: DEST: reason"; the temporary file is removed
 * either way. */
int mgcli_outfile_commit(mgcli_outfile *o);

/* Drops the content and removes temporary files; safe to call more than
 * once and on a zero-initialised or committed outfile. */
void mgcli_outfile_discard(mgcli_outfile *o);

#endif
