/* Atomic output files: write to a temporary name, rename when complete. */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary names to remove if a signal ends the command.  A handful of
 * fixed slots: the command writes at most two files at a time. */
enum { MAX_PENDING = 4 };
static char *volatile pending[MAX_PENDING];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i])
            unlink(pending[i]);   /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track(char *tmp)
{
    static int installed;
    if (!installed) {
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
        /* a signal ignored on entry (nohup, a background job) stays ignored */
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
            if (signal(sigs[i], on_signal) == SIG_IGN)
                signal(sigs[i], SIG_IGN);
        installed = 1;
    }
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) {
            pending[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i] == tmp)
            pending[i] = NULL;
}

int mgcli_outfile_open(mgcli_outfile *o, const char *dest)
{
    o->dest = dest;
    o->f = NULL;
    size_t n = strlen(dest);
    o->tmp = malloc(n + sizeof ".tmpXXXXXX");
    if (!o->tmp) {
        fprintf(stderr, "matgrad: %s: out of memory\n", dest);
        return -1;
    }
    memcpy(o->tmp, dest, n);
    memcpy(o->tmp + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fprintf(stderr, "matgrad: %s: %s\n", dest, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    track(o->tmp);
    /* mkstemp makes the file private (0600); give it the mode fopen would. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
        fprintf(stderr, "matgrad: %s: %s\n", dest, strerror(errno));
        close(fd);
        mgcli_outfile_discard(o);
        return -1;
    }
    return 0;
}

int mgcli_outfile_close_stream(mgcli_outfile *o)
{
    if (!o->f)
        return 0;
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    return bad ? -1 : 0;
}

int mgcli_outfile_commit(mgcli_outfile *o)
{
    if (!o->tmp)
        return -1;
    errno = 0;
    if (mgcli_outfile_close_stream(o) != 0 || rename(o->tmp, o->dest) != 0) {
        fprintf(stderr, "matgrad: %s: %s\n", o->dest, strerror(errno ? errno : EIO));
        mgcli_outfile_discard(o);
        return -1;
    }
    untrack(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

void mgcli_outfile_discard(mgcli_outfile *o)
{
    if (o->f) {
        fclose(o->f);
        o->f = NULL;
    }
    if (o->tmp) {
        unlink(o->tmp);
        untrack(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
}
