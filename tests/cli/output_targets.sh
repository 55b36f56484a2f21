#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# --output and --plot never destroy what they write to (docs/cli.md, "Output
# files"): regular files are replaced atomically (through a symbolic link,
# the target, keeping its mode and owner), character devices and FIFOs are
# written in place with every write checked, read-only files are refused,
# '-' is standard output, and a bad path fails before the input is read.
# The device cases need root (mknod); they use nodes made here, with the
# numbers of /dev/null (1,3) and /dev/full (1,7), never the real /dev.
. "$(dirname "$0")/lib.sh"
printf 'a,y\n1,2\n2,3\n3,5\n' > ok.csv
run ref 0 "$MATGRAD" fit ok.csv -t y -o ref.csv
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
have_gnuplot=0
command -v gnuplot > /dev/null && have_gnuplot=1
no_temp() { [ "$(find . -name '*.tmp*' | wc -l)" -eq 0 ] || fail "$1: a temporary file was left"; }

# A path that cannot be written fails at once: exit 2, before the input is
# read (standard input here is never read: the command does not block) and
# before anything is printed.
bad_path() {
    local name=$1 regex=$2
    shift 2
    run "$name" 2 "$MATGRAD" fit - -t y "$@" < /dev/zero
    expect_grep "$name" "$name.err" "$regex"
    [ ! -s "$name.out" ] || fail "$name: printed results before failing"
}
mkdir adir
bad_path empty_name "^matgrad: : an empty file name$" -o ''
bad_path dir_output '^matgrad: adir: Is a directory$' -o adir
bad_path missing_dir '^matgrad: no/such/c\.csv: No such file or directory$' -o no/such/c.csv
bad_path plot_missing_dir '^matgrad: no/such/p\.png: No such file or directory$' -m gd --plot no/such/p.png
bad_path plot_dir '^matgrad: adir: Is a directory$' -m gd --plot adir
bad_path plot_empty "^matgrad: : an empty file name$" -m gd --plot ''
bad_path both_stdout "^matgrad fit: --output and --plot cannot both be standard output \('-'\)$" -m gd -o - --plot -
run demo_plot_dir 2 "$MATGRAD" demo --plot adir
expect_grep demo_plot_dir demo_plot_dir.err '^matgrad: adir: Is a directory$'
[ ! -s demo_plot_dir.out ] || fail "demo_plot_dir: printed results before failing"

# A read-only file is refused, not replaced: same content, same mode.  (As
# root access() allows everything; the mode bits decide.)
echo old > ro.csv
chmod 444 ro.csv
bad_path read_only '^matgrad: ro\.csv: Permission denied \(no write permission\)$' -o ro.csv
[ "$(cat ro.csv)" = old ] || fail "read_only: the file was changed"
[ "$(stat -c %a ro.csv)" = 444 ] || fail "read_only: the mode changed to $(stat -c %a ro.csv)"
ln -s ro.csv ro_link.csv
bad_path read_only_link '^matgrad: ro_link\.csv: Permission denied \(no write permission\)$' -o ro_link.csv
no_temp read_only

# An existing regular file is replaced and keeps its mode.
echo old > mode.csv
chmod 640 mode.csv
run keep_mode 0 "$MATGRAD" fit ok.csv -t y -o mode.csv
cmp -s mode.csv ref.csv || fail "keep_mode: wrong content"
[ "$(stat -c %a mode.csv)" = 640 ] || fail "keep_mode: mode $(stat -c %a mode.csv), expected 640"

# A symbolic link (also a chain, a relative link into another directory)
# stays a link; its final target gets the content.
mkdir sub
echo old > sub/target.csv
chmod 600 sub/target.csv
ln -s target.csv sub/link1.csv
ln -s sub/link1.csv link2.csv
run symlink 0 "$MATGRAD" fit ok.csv -t y -o link2.csv
[ -L link2.csv ] && [ -L sub/link1.csv ] || fail "symlink: a link was replaced"
cmp -s sub/target.csv ref.csv || fail "symlink: the target did not get the content"
[ "$(stat -c %a sub/target.csv)" = 600 ] || fail "symlink: the target's mode changed"
ln -s sub/new.csv dangling.csv
run dangling 0 "$MATGRAD" fit ok.csv -t y -o dangling.csv
[ -L dangling.csv ] && cmp -s sub/new.csv ref.csv || fail "dangling: the link's target was not created"
ln -s loop_b loop_a
ln -s loop_a loop_b
bad_path link_loop '^matgrad: loop_a: Too many levels of symbolic links$' -o loop_a
no_temp symlink

# '-' is standard output: the CSV alone there, the report on standard error.
# (The report names the model by R's Call line.)
"$MATGRAD" fit ok.csv -t y -o - > dash.out 2> dash.err || fail "dash: exit status $?"
cmp -s dash.out ref.csv || fail "dash: standard output is not the CSV alone"
expect_grep dash dash.err '^matgrad fit ok\.csv --target y$'

# A link in /proc to a pipe (what /dev/stdout and /dev/fd/N are) is written
# in place, after the report; so is the file standard output already writes
# to, which is not replaced behind the shell's back (the report would go to
# a file without a name).
"$MATGRAD" fit ok.csv -t y -o /proc/self/fd/1 2> proc.err | cat > proc.out || fail "proc: exit status $?"
expect_grep proc proc.out '^matgrad fit ok\.csv --target y$'
tail -n 2 proc.out | cmp -s - ref.csv || fail "proc: the CSV does not follow the report"
"$MATGRAD" fit ok.csv -t y -o same.out > same.out 2> same.err || fail "same: exit status $?"
expect_grep same same.out '^matgrad fit ok\.csv --target y$'
tail -n 2 same.out | cmp -s - ref.csv || fail "same: the CSV does not follow the report"

# A FIFO is written in place, completely, and stays a FIFO.  The coefficient
# table of 1100 columns is larger than a pipe's buffer (64 KiB).
awk 'BEGIN { srand(3); for (j = 1; j <= 1100; j++) printf "x%d,", j; print "y"
             for (i = 0; i < 1150; i++) { for (j = 1; j <= 1100; j++) printf "%.3f,", rand(); printf "%.3f\n", rand() } }' > big.csv
run big_ref 0 "$MATGRAD" fit big.csv -t y -m normal -o big_ref.csv
mkfifo fifo
cat fifo > from_fifo &
reader=$!
run fifo 0 "$MATGRAD" fit big.csv -t y -m normal -o fifo
wait "$reader"
[ -p fifo ] || fail "fifo: no longer a FIFO"
[ "$(wc -c < big_ref.csv)" -gt 65536 ] || fail "fifo: the table is too small for this test"
cmp -s from_fifo big_ref.csv || fail "fifo: the reader did not get the complete table"
if [ "$have_gnuplot" = 1 ]; then
    cat fifo > png_from_fifo &
    reader=$!
    run fifo_plot 0 "$MATGRAD" fit ok.csv -t y -m gd --plot fifo
    wait "$reader"
    is_png png_from_fifo || fail "fifo_plot: the reader did not get a PNG"
    "$MATGRAD" fit ok.csv -t y -m gd --plot - > dash.png 2> /dev/null || fail "dash_plot: exit status $?"
    is_png dash.png || fail "dash_plot: standard output is not a PNG"
fi

if [ "$(id -u)" != 0 ]; then
    echo "not root: the character-device cases (mknod) and the owner case were not run"
    finish
    exit 0
fi

# The owner and group of a replaced file are kept.
echo old > owned.csv
chown 1234:5678 owned.csv
run keep_owner 0 "$MATGRAD" fit ok.csv -t y -o owned.csv
[ "$(stat -c %u:%g owned.csv)" = 1234:5678 ] || fail "keep_owner: owner $(stat -c %u:%g owned.csv)"

mknod null c 1 3
mknod full c 1 7
run dev_null 0 "$MATGRAD" fit ok.csv -t y -o null
[ -c null ] || fail "dev_null: the device node was replaced"
run dev_full 1 "$MATGRAD" fit ok.csv -t y -o full
expect_grep dev_full dev_full.err '^matgrad: full: No space left on device$'
[ -c full ] || fail "dev_full: the device node was replaced"
ln -s full full_link
run dev_full_link 1 "$MATGRAD" fit ok.csv -t y -o full_link
[ -L full_link ] && [ -c full ] || fail "dev_full_link: the link or the node was replaced"
if [ "$have_gnuplot" = 1 ]; then
    run plot_null 0 "$MATGRAD" fit ok.csv -t y -m gd --plot null
    run plot_full 1 "$MATGRAD" fit ok.csv -t y -m gd --plot full
    expect_grep plot_full plot_full.err '^matgrad: full: No space left on device$'
    run demo_full 1 "$MATGRAD" demo --plot full
    [ -c null ] && [ -c full ] || fail "plot: a device node was replaced"
fi
# standard output on the full device: the write error is reported
run stdout_full 1 sh -c '"$0" fit ok.csv -t y -o - > full' "$MATGRAD"
expect_grep stdout_full stdout_full.err '^matgrad: -: No space left on device$'
# a read-only device node is refused even for root
mknod ro_null c 1 3
chmod 444 ro_null
bad_path dev_read_only '^matgrad: ro_null: Permission denied \(no write permission\)$' -o ro_null
no_temp devices
finish
