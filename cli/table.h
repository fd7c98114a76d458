/*
 * table.h - clusterctl's table printer and the cell formatters its nouns
 * share: arrays of JSON objects as aligned columns, lists and parameters
 * joined into one cell, durations and time stamps as an operator writes
 * them.
 *
 * Pure output: nothing here talks to clusterd or reads the clock (but
 * ctl_fmt_time() uses the local time zone). JSON values are borrowed.
 * Formatters write into the caller's buffer and return it (or a constant
 * "-"); they truncate to fit, ending the text with "..." where it was cut.
 */
#ifndef CLUSTERCTL_TABLE_H
#define CLUSTERCTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#define CTL_CELL_MAX	256	/* one cell, with its NUL */
#define CTL_COLS_MAX	6	/* columns of a table */

/* Fill the cells of one row from @p item (cell[k] for each column k). */
typedef void (*ctl_row_fn)(json_object *item, char cell[][CTL_CELL_MAX]);

/**
 * One header line and one row per element of the array @p arr on @p f:
 * columns two blanks apart, each as wide as its widest cell, the last one
 * unpadded. @p arr NULL or not an array: the header only. @p ncols at most
 * CTL_COLS_MAX (more are not printed).
 */
void ctl_table_print(FILE *f, json_object *arr, const char *const *head,
		     size_t ncols, ctl_row_fn row);

/** The strings of array @p a joined by @p sep (other values as JSON), or
 * "-" when @p a is empty, NULL or not an array. */
const char *ctl_join(json_object *a, const char *sep, char *buf, size_t size);

/** Parameters {"k": "v", "n": 5} as "k=v n=5", or "-". */
const char *ctl_join_params(json_object *params, char *buf, size_t size);

/** Milliseconds in the syntax the options take: 500ms, 10s, 2m, 1h; "-" for
 * a negative value. */
const char *ctl_fmt_ms(int64_t ms, char *buf, size_t size);

/** A time stamp in seconds or milliseconds since the epoch as local
 * "YYYY-MM-DD HH:MM:SS"; anything else (not an integer, too small or too
 * large to be one) as ctl_jtext() gives it. */
const char *ctl_fmt_time(json_object *v, char *buf, size_t size);

/** "key: value" lines on @p f for the members of object @p o not named in
 * @p shown (@p n names): what else clusterd stores, so nothing is hidden. */
void ctl_print_rest(FILE *f, json_object *o, const char *const *shown, size_t n);

#endif
