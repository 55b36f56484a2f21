/* SPDX-License-Identifier: BSD-3-Clause */
/* Factor levels and unique column names, as R's read.csv and lm make them.
 *
 * mgcli_levels collects the distinct strings of one factor column in the
 * order they first appear (a level's index), counts how often each occurs
 * in the rows the model keeps, and orders the levels used:
 *   - by strcmp (bytewise, the C locale's order).  R's factor() sorts by
 *     the collation of the session's locale; for ASCII names all of one
 *     case the two orders agree, otherwise the baseline may differ (and so
 *     the dummy columns, not the fitted values);
 *   - numerically, when asked (--factor on a numeric column) and every
 *     used level reads as a finite number, as R's factor() of a numeric
 *     vector.  Spellings of one number ("1", "1.0") are one level, named
 *     by the spelling that appeared first in the file.
 * Levels that occur only in rows dropped for missing values are not used,
 * as lm's model frame drops unused levels (drop.unused.levels = TRUE).
 * Plain C, so that tests/test_cli_factor.c builds it alone. */
#ifndef MATGRAD_CLI_FACTOR_H
#define MATGRAD_CLI_FACTOR_H

#include <stddef.h>

typedef struct mgcli_levels mgcli_levels;

mgcli_levels *mgcli_levels_new(void);
void mgcli_levels_free(mgcli_levels *l);

/* The index of the level s[0, len) (a new one if not seen), into *idx;
 * -1 when out of memory. */
int mgcli_levels_add(mgcli_levels *l, const char *s, size_t len, size_t *idx);
/* Levels seen so far. */
size_t mgcli_levels_count(const mgcli_levels *l);
/* One more kept row with level idx. */
void mgcli_levels_use(mgcli_levels *l, size_t idx);
/* The name of level idx (indices in order of first appearance), and
 * whether a kept row has it. */
const char *mgcli_levels_at(const mgcli_levels *l, size_t idx);
int mgcli_levels_used(const mgcli_levels *l, size_t idx);
/* Every level unused again (the rows counted were dropped); the names and
 * their indices stay. */
void mgcli_levels_unuse(mgcli_levels *l);

/* Orders the used levels (numerically when `numeric` and all read as
 * numbers, else by strcmp); returns how many distinct used levels there
 * are, or (size_t)-1 when out of memory.  Then: */
size_t mgcli_levels_order(mgcli_levels *l, int numeric);
/* the rank (0 = the baseline) of level idx, (size_t)-1 for an unused one; */
size_t mgcli_levels_rank(const mgcli_levels *l, size_t idx);
/* the name of the level of rank k. */
const char *mgcli_levels_name(const mgcli_levels *l, size_t k);

/* R's make.unique(names): a name that repeats an earlier one becomes
 * name.1, name.2, ... (the first suffix not already taken by any name).
 * Renamed entries are freed and replaced; *renamed counts them; *first
 * (if not NULL) gets the index of the first renamed.  -1 when out of
 * memory (names unchanged or partly renamed, all valid). */
int mgcli_make_unique(char **names, size_t n, size_t *renamed, size_t *first);

#endif
