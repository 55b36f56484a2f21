#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# matgrad predict: fit --save MODEL, then predict MODEL NEW.csv with each
# --interval against R's predict(fit, newdata, se.fit = TRUE, interval =
# ..., level = 0.95) (the predict records of tests/data/r/lm: mtcars, iris
# with a factor, cars, swiss_aliased with two aliased columns, whose
# prediction R makes with the aliased coefficients taken as 0).  Then the
# errors: a damaged model file, a missing column, an unknown factor level,
# an output path that is a directory.
#
# Tolerance 1e-12 relative: fit = z'b and se_fit = sigma sqrt(z' C z) from
# coefficients and covariances that agree with R's to 1e-12 (r_output.sh;
# README "R's accuracy": R's own error is at most 5e-14 on these cases).
# The interval ends fit -+ t se_fit are compared relative to the larger
# |end| of the row: an end near 0 by cancellation has no relative accuracy
# of its own, only one relative to |fit| + t se_fit <= 2 max(|lwr|, |upr|).
. "$(dirname "$0")/lib.sh"

# cmp_pred NAME CASE OUT.csv WHICH: OUT.csv's rows against the predict
# records; WHICH = none (fit, se_fit), confidence or prediction (+ lwr, upr).
cmp_pred() {
    awk -v which="$4" 'function abs(v) { return v < 0 ? -v : v }
        NR == FNR { if ($1 == "predict") { n++; f[$2] = $3; s[$2] = $4
                        lo[$2] = which == "confidence" ? $5 : $7; hi[$2] = which == "confidence" ? $6 : $8 }
                    next }
        FNR == 1 { FS = ","; $0 = $0
                   want = which == "none" ? "fit,se_fit" : "fit,se_fit,lwr,upr"
                   if ($0 != want) { print "header " $0 ", expected " want; bad = 1 }; next }
        { r = FNR - 1; m++
          chk(r, "fit", $1, f[r], abs(f[r])); chk(r, "se_fit", $2, s[r], abs(s[r]))
          if (which != "none") { sc = abs(lo[r]) > abs(hi[r]) ? abs(lo[r]) : abs(hi[r])
                                 chk(r, "lwr", $3, lo[r], sc); chk(r, "upr", $4, hi[r], sc) } }
        function chk(r, what, g, w, sc) {
            if (!(abs(g - w) <= 1e-12 * sc)) { printf "row %d %s: %s, R %s\n", r, what, g, w; bad = 1 } }
        END { if (m != n || n == 0) { printf "%d rows, R has %d\n", m, n; bad = 1 }; exit bad }' \
        "$RLM/$2_ref.txt" "$3" > "$1.cmp" ||
        { fail "$1: predictions differ from R's:"; sed 's/^/    /' "$1.cmp" >&2; }
}

for c in mtcars iris cars swiss_aliased; do
    mapfile -t args < <(r_args "$c")
    run "${c}_fit" 0 "$MATGRAD" fit "$RLM/$c.csv" "${args[@]}" --save "$c.model"
    [ -s "$c.model" ] || { fail "$c: no model file"; continue; }
    run "${c}_none" 0 "$MATGRAD" predict "$c.model" "$RLM/${c}_new.csv" -o "${c}_none.csv"
    cmp_pred "${c}_none" "$c" "${c}_none.csv" none
    for i in confidence prediction; do
        run "${c}_$i" 0 "$MATGRAD" predict "$c.model" "$RLM/${c}_new.csv" --interval "$i" --level 0.95 -o "${c}_$i.csv"
        cmp_pred "${c}_$i" "$c" "${c}_$i.csv" "$i"
    done
    # the default output is standard output, the same bytes
    run "${c}_stdout" 0 "$MATGRAD" predict "$c.model" "$RLM/${c}_new.csv" --interval prediction
    cmp -s "${c}_stdout.out" "${c}_prediction.csv" || fail "$c: standard output differs from -o"
done

# A missing value in a row the model needs: that row NA (as R's
# predict(na.action = na.pass)), the others as without it
sed '3s/,1\.3,/,NA,/' "$RLM/iris_new.csv" > iris_na.csv
grep -q ',NA,' iris_na.csv || fail "iris_na: the NA was not put in"
run iris_na 0 "$MATGRAD" predict iris.model iris_na.csv --interval confidence -o iris_na_out.csv
[ "$(sed -n 3p iris_na_out.csv)" = NA,NA,NA,NA ] || fail "iris_na: row 2 is '$(sed -n 3p iris_na_out.csv)', expected NA,NA,NA,NA"
cmp -s <(sed 3d iris_na_out.csv) <(sed 3d iris_confidence.csv) || fail "iris_na: the other rows changed"

# A damaged model: cut after every line and inside lines (every 7th byte),
# a wrong format version, text that is no model: each exit status 2 with a
# message naming the model file, nothing written on standard output.
new=$RLM/mtcars_new.csv
lines=$(wc -l < mtcars.model)
for k in $(seq 0 $((lines - 1))); do
    head -n "$k" mtcars.model > cut.model
    run "cut_line_$k" 2 "$MATGRAD" predict cut.model "$new"
    expect_grep "cut_line_$k" "cut_line_$k.err" '^matgrad: cut\.model(:[0-9]+)?: '
    [ ! -s "cut_line_$k.out" ] || fail "cut_line_$k: predictions from a truncated model"
done
size=$(wc -c < mtcars.model)
# (the last byte is the final line break: without it the file is complete)
for b in $(seq 1 7 $((size - 2))); do
    head -c "$b" mtcars.model > cut.model
    "$MATGRAD" predict cut.model "$new" > cut_byte.out 2> cut_byte.err
    st=$?
    [ "$st" = 2 ] && [ ! -s cut_byte.out ] && grep -q '^matgrad: cut\.model' cut_byte.err ||
        fail "model cut after $b of $size bytes: exit status $st, $(wc -c < cut_byte.out) bytes of output: $(cat cut_byte.err)"
done
sed '1s/^matgrad-model 1$/matgrad-model 2/' mtcars.model > v2.model
run version 2 "$MATGRAD" predict v2.model "$new"
expect_grep version version.err '^matgrad: v2\.model:1: model format version 2 \(this matgrad reads version 1\)$'
[ ! -s version.out ] || fail "version: predictions from a model of another version"
printf 'fit,se_fit\n1,2\n' > notmodel.model
run notmodel 2 "$MATGRAD" predict notmodel.model "$new"
expect_grep notmodel notmodel.err '^matgrad: notmodel\.model:1: not a matgrad model file$'

# a column the model needs is missing: named, on the header line
cut -d, -f1-5,7- "$new" > nowt.csv
run missing_column 2 "$MATGRAD" predict mtcars.model nowt.csv -o nowt_out.csv
expect_grep missing_column missing_column.err "^matgrad: nowt\\.csv:1: no column named 'wt' \\(the model needs it\\)$"
[ ! -e nowt_out.csv ] || fail "missing_column: an output file was left"

# a factor level the fit never saw: the column, the value and the line
sed '3s/"versicolor"/"purple"/' "$RLM/iris_new.csv" > badlevel.csv
run bad_level 2 "$MATGRAD" predict iris.model badlevel.csv -o badlevel_out.csv
expect_grep bad_level bad_level.err "^matgrad: badlevel\\.csv:3: column 'Species': level 'purple' is not one of the model's 3 levels"
[ ! -e badlevel_out.csv ] || fail "bad_level: an output file was left"

# an output path that is a directory: refused before any work, the
# directory and what it holds untouched
mkdir outdir
echo keep > outdir/file
run out_dir 2 "$MATGRAD" predict mtcars.model "$new" -o outdir
expect_grep out_dir out_dir.err '^matgrad: outdir: Is a directory$'
[ -d outdir ] && [ "$(cat outdir/file)" = keep ] && [ "$(ls -A outdir)" = file ] ||
    fail "out_dir: the directory or its content changed"
[ ! -s out_dir.out ] || fail "out_dir: predictions written to standard output"
finish
