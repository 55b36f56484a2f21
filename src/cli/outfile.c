/* SPDX-License-Identifier: BSD-3-Clause */
/* Output files: checked up front, atomic for regular files, in place for
 * devices and FIFOs (outfile.h has the rules). */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary names to remove if a signal ends the command.  A handful of
 * fixed slots: the command writes at most two files at a time, each with at
 * most one temporary name. */
enum { MAX_PENDING = 4, MAX_LINKS = 40 };
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

/* Removes a tracked temporary file and frees its name. */
static void drop_temp(char **name)
{
    if (!*name)
        return;
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i] == *name)
            pending[i] = NULL;
    unlink(*name);
    free(*name);
    *name = NULL;
}

static int complain(const mgcli_outfile *o, const char *why)
{
    fprintf(stderr, "matgrad: %s: %s\n", o->dest, why);
    return -1;
}

/* The message for errno value e: out of memory in the command's own words. */
static int complain_errno(const mgcli_outfile *o, int e)
{
    if (e == ENOMEM) {
        fprintf(stderr, "matgrad: out of memory (the output %s)\n", o->dest);
        return -1;
    }
    return complain(o, strerror(e));
}

int mgcli_outfile_is_stdout(const char *dest) { return dest && !strcmp(dest, "-"); }

/* "dir/" of path (up to and including its last slash; "" if none) + rel. */
static char *beside(const char *path, const char *rel)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, rlen = strlen(rel);
    char *s = malloc(dlen + rlen + 1);
    if (s) {
        memcpy(s, path, dlen);
        memcpy(s + dlen, rel, rlen + 1);
    }
    return s;
}

/* The contents of the symbolic link at path (size from lstat), or NULL with
 * errno set. */
static char *read_link(const char *path, off_t size)
{
    size_t cap = size > 0 ? (size_t)size + 1 : 256;
    for (;;) {
        char *s = malloc(cap);
        if (!s)
            return NULL;
        ssize_t n = readlink(path, s, cap);
        if (n >= 0 && (size_t)n < cap) {
            s[n] = '\0';
            return s;
        }
        free(s);
        if (n < 0 || cap > ((size_t)1 << 20))
            return NULL;   /* errno from readlink, or a link that keeps growing */
        cap *= 2;
    }
}

/* Follows symbolic links from path to the final target: *out (malloc'd) is
 * its name, *exists whether it exists, *st its status when it does.  0, or
 * an errno value (ELOOP, ENOMEM, or lstat's error other than ENOENT). */
static int resolve(const char *path, char **out, struct stat *st, int *exists)
{
    char *cur = malloc(strlen(path) + 1);
    if (!cur)
        return ENOMEM;
    strcpy(cur, path);
    for (int hops = 0;; hops++) {
        if (lstat(cur, st) != 0) {
            int e = errno;
            if (e != ENOENT) {
                free(cur);
                return e;
            }
            *exists = 0;
            *out = cur;
            return 0;
        }
        if (!S_ISLNK(st->st_mode)) {
            *exists = 1;
            *out = cur;
            return 0;
        }
        char *link = hops < MAX_LINKS ? read_link(cur, st->st_size) : NULL;
        if (!link) {
            int e = hops < MAX_LINKS ? errno : ELOOP;
            free(cur);
            return e;
        }
        /* a relative link is relative to the directory holding it */
        char *next = link[0] == '/' ? link : beside(cur, link);
        if (next != link)
            free(link);
        free(cur);
        if (!next)
            return ENOMEM;
        cur = next;
    }
}

/* Write permission on an existing file.  The superuser passes access()
 * whatever the mode, so a file with no write bit at all counts as
 * read-only here too: it is refused rather than replaced. */
static int writable(const char *path, const struct stat *st)
{
    if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0)
        return errno;
    return (st->st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) ? 0 : EACCES;
}

static int set_cloexec(int fd) { return fcntl(fd, F_SETFD, FD_CLOEXEC); }

/* A tracked, private, empty file named prefix + "XXXXXX"; its descriptor,
 * or -1 with errno set (*name NULL). */
static int make_temp(const char *prefix, char **name)
{
    size_t n = strlen(prefix);
    *name = malloc(n + sizeof "XXXXXX");
    if (!*name) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(*name, prefix, n);
    memcpy(*name + n, "XXXXXX", sizeof "XXXXXX");
    int fd = mkstemp(*name);
    if (fd < 0) {
        int e = errno;
        free(*name);
        *name = NULL;
        errno = e;
        return -1;
    }
    track(*name);
    set_cloexec(fd);
    return fd;
}

/* The temporary file beside o->target.  It gets the mode and owner of the
 * file it will replace (its permission bits; setuid and setgid dropped, as an in-place write by
 * anyone but the owner would), or for a new file the mode fopen would give
 * (0666 & ~umask).  0, or an errno value. */
static int open_atomic(mgcli_outfile *o, const struct stat *old)
{
    char *prefix = malloc(strlen(o->target) + sizeof ".tmp");
    if (!prefix)
        return ENOMEM;
    strcpy(prefix, o->target);
    strcat(prefix, ".tmp");
    o->fd = make_temp(prefix, &o->tmp);
    int e = errno;
    free(prefix);
    if (o->fd < 0)
        return e;
    mode_t mode;
    if (old) {
        /* the group where the owner cannot be kept (not the superuser) */
        if (fchown(o->fd, old->st_uid, old->st_gid) != 0 && fchown(o->fd, (uid_t)-1, old->st_gid) != 0)
            errno = 0;   /* best effort: the file is then ours */
        mode = old->st_mode & (S_IRWXU | S_IRWXG | S_IRWXO);
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    return fchmod(o->fd, mode) != 0 ? errno : 0;
}

/* A device or FIFO, opened for writing in place (no O_CREAT: it exists; a
 * FIFO blocks here until a reader opens it). */
static int open_direct(mgcli_outfile *o)
{
    o->direct = 1;
    o->fd = open(o->target, O_WRONLY | O_NOCTTY);
    if (o->fd < 0)
        return errno;
    set_cloexec(o->fd);
    struct stat st;
    if (fstat(o->fd, &st) != 0)
        return errno;
    /* replaced between the check and the open: refuse rather than guess */
    return S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) ? 0 : EAGAIN;
}

/* Picks the way to write o->target; 0 or an errno value (-1 for a kind of
 * file that is never written). */
static int prepare(mgcli_outfile *o)
{
    struct stat st;
    int exists = 0, e;
    /* A device or FIFO is opened by the name given: the kernel follows every
     * link to it, /proc's too (/dev/stdout, /dev/fd/N), whose contents
     * ("pipe:[123]") name no file a path walk could find. */
    int found = stat(o->dest, &st) == 0;
    if (found && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        if (!(o->target = malloc(strlen(o->dest) + 1)))
            return ENOMEM;
        strcpy(o->target, o->dest);
        return (e = writable(o->target, &st)) != 0 ? e : open_direct(o);
    }
    /* The file standard output already writes to (-o /dev/stdout > f):
     * replacing it would send the report to a file without a name; the
     * content follows the report through standard output's descriptor. */
    struct stat out;
    if (found && S_ISREG(st.st_mode) && fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev &&
        out.st_ino == st.st_ino) {
        o->direct = 1;
        o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        return o->fd < 0 ? errno : 0;
    }
    e = resolve(o->dest, &o->target, &st, &exists);
    if (e)
        return e;
    if (!exists)
        return open_atomic(o, NULL);
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
        return -1;
    if ((e = writable(o->target, &st)) != 0)
        return e;
    return S_ISREG(st.st_mode) ? open_atomic(o, &st) : open_direct(o);
}

int mgcli_outfile_open(mgcli_outfile *o, const char *dest)
{
    memset(o, 0, sizeof *o);
    o->dest = dest;
    o->fd = -1;
    if (!*dest) {
        complain(o, "an empty file name");
        o->dest = NULL;
        return MGCLI_EXIT_USAGE;
    }
    int e;
    if (mgcli_outfile_is_stdout(dest)) {
        o->direct = 1;
        o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        e = o->fd < 0 ? errno : 0;
    } else {
        e = prepare(o);
    }
    if (e == 0 && !(o->f = open_memstream(&o->buf, &o->len)))
        e = errno ? errno : ENOMEM;
    if (e == 0)
        return 0;
    if (e == -1 || e == EACCES || e == EAGAIN)
        complain(o, e == -1       ? "not a regular file, character device or FIFO"
                    : e == EACCES ? "Permission denied (no write permission)"
                                  : "changed while it was being opened");
    else
        complain_errno(o, e);
    mgcli_outfile_discard(o);
    return e == ENOMEM ? MGCLI_EXIT_FAIL : MGCLI_EXIT_USAGE;
}

const char *mgcli_outfile_program_path(mgcli_outfile *o)
{
    o->by_program = 1;
    if (!o->direct)
        return o->tmp;
    if (!o->scratch) {
        /* a private file in the temporary directory, copied to the
         * destination at the commit: the program never sees the device */
        const char *dir = getenv("TMPDIR");
        char *prefix = malloc((dir && *dir ? strlen(dir) : 4) + sizeof "/matgrad-");
        if (!prefix) {
            complain_errno(o, ENOMEM);
            return NULL;
        }
        strcpy(prefix, dir && *dir ? dir : "/tmp");
        strcat(prefix, "/matgrad-");
        int fd = make_temp(prefix, &o->scratch);
        int e = errno;
        free(prefix);
        if (fd < 0) {
            complain_errno(o, e);
            return NULL;
        }
        close(fd);
    }
    return o->scratch;
}

/* Writes all of buf[0, n) to fd despite short writes and signals. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies the program's scratch file to fd. */
static int copy_file(const char *from, int fd)
{
    int in = open(from, O_RDONLY);
    if (in < 0)
        return errno;
    char buf[1 << 16];
    int e = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        if ((e = write_all(fd, buf, (size_t)n)) != 0)
            break;
    }
    close(in);
    return e;
}

/* The content into o->fd, then the file into place.  0 or an errno value. */
static int deliver(mgcli_outfile *o)
{
    int e = 0;
    if (o->f && fclose(o->f) != 0)
        e = errno ? errno : ENOMEM;
    o->f = NULL;
    if (e)
        return e;
    /* what the command printed comes first when both go to one place
     * (-o /dev/stdout) */
    if (o->direct)
        fflush(stdout);
    if (o->scratch)
        e = copy_file(o->scratch, o->fd);
    else if (!o->by_program)
        e = write_all(o->fd, o->buf, o->len);
    /* the data on disk before the name points at it: a crash leaves the
     * old file or the new one, never an empty one */
    if (!e && !o->direct && fsync(o->fd) != 0)
        e = errno;
    /* close reports a delayed write error (NFS, some devices) */
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0 && !e && errno != EINTR)
        e = errno;
    if (!e && !o->direct && rename(o->tmp, o->target) != 0)
        e = errno;
    return e;
}

int mgcli_outfile_commit(mgcli_outfile *o)
{
    if (!o->dest || o->fd < 0) {
        mgcli_outfile_discard(o);
        return -1;
    }
    errno = 0;
    int e = deliver(o);
    if (e == 0 && !o->direct) {
        /* renamed: the temporary name is the file now */
        for (int i = 0; i < MAX_PENDING; i++)
            if (pending[i] == o->tmp)
                pending[i] = NULL;
        free(o->tmp);
        o->tmp = NULL;
    }
    if (e)
        complain_errno(o, e);
    mgcli_outfile_discard(o);
    return e ? -1 : 0;
}

void mgcli_outfile_discard(mgcli_outfile *o)
{
    if (!o->dest)
        return;
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    free(o->buf);
    o->buf = NULL;
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    drop_temp(&o->tmp);
    drop_temp(&o->scratch);
    free(o->target);
    o->target = NULL;
    o->dest = NULL;
}
