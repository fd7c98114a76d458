/*
 * table.c - clusterctl's table printer and cell formatters (table.h).
 */
#include "table.h"
#include "ctl.h"

#include <string.h>
#include <time.h>

void
ctl_table_print(FILE *f, json_object *arr, const char *const *head, size_t ncols,
		ctl_row_fn row)
{
	char cell[CTL_COLS_MAX][CTL_CELL_MAX];
	size_t w[CTL_COLS_MAX], i, k, n;

	if (ncols > CTL_COLS_MAX)
		ncols = CTL_COLS_MAX;
	n = arr && json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	for (k = 0; k < ncols; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < n; i++) {
		row(json_object_array_get_idx(arr, i), cell);
		for (k = 0; k < ncols; k++)
			if (strlen(cell[k]) > w[k])
				w[k] = strlen(cell[k]);
	}
	for (k = 0; k < ncols; k++)
		fprintf(f, "%-*s%s", k + 1 < ncols ? (int)w[k] : 0, head[k],
			k + 1 < ncols ? "  " : "\n");
	for (i = 0; i < n; i++) {
		row(json_object_array_get_idx(arr, i), cell);
		for (k = 0; k < ncols; k++)
			fprintf(f, "%-*s%s", k + 1 < ncols ? (int)w[k] : 0, cell[k],
				k + 1 < ncols ? "  " : "\n");
	}
}

/* Mark a text cut at @p size with "..." at its end. */
static void
mark_cut(char *buf, size_t len, size_t size)
{
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

const char *
ctl_join(json_object *a, const char *sep, char *buf, size_t size)
{
	size_t i, n, len = 0;

	buf[0] = '\0';
	n = a && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
	for (i = 0; i < n && len < size; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? sep : "",
					ctl_jtext(json_object_array_get_idx(a, i)));
	}
	mark_cut(buf, len, size);
	return n ? buf : "-";
}

const char *
ctl_join_params(json_object *params, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, v) {
			if (len < size)
				len += (size_t)snprintf(buf + len, size - len, "%s%s=%s",
							len ? " " : "", k, ctl_jtext(v));
		}
	}
	mark_cut(buf, len, size);
	return len ? buf : "-";
}

const char *
ctl_fmt_ms(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

const char *
ctl_fmt_time(json_object *v, char *buf, size_t size)
{
	int64_t t = v && json_object_is_type(v, json_type_int) ?
		    json_object_get_int64(v) : 0;
	struct tm tm;
	time_t s;

	if (t >= 1000000000000LL && t < 100000000000000LL)
		t /= 1000;
	if (t < 1000000000LL || t >= 100000000000LL)
		return ctl_jtext(v);
	s = (time_t)t;
	localtime_r(&s, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

void
ctl_print_rest(FILE *f, json_object *o, const char *const *shown, size_t n)
{
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		for (i = 0; i < n && strcmp(k, shown[i]); i++)
			;
		if (i == n)
			fprintf(f, "%s: %s\n", k, ctl_jtext(v));
	}
}
