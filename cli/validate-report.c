/*
 * validate-report.c - validate's results and their three renderings.
 * Pure code: no I/O but the FILE the caller gives.
 */
#include "validate.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = { "pass", "warning", "fail" };

const char *
v_status_name(enum v_status s)
{
	return s <= V_FAIL ? status_names[s] : "?";
}

struct v_result *
v_add(struct v_report *rep, const char *category, const char *name,
      enum v_status st, const char *fmt, ...)
{
	struct v_result *r;
	va_list ap;

	if (rep->n >= V_MAX_RESULTS)
		return NULL;
	r = &rep->r[rep->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->category, sizeof(r->category), "%s", category);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return r;
}

void
v_detail(struct v_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!r || r->n_details >= V_MAX_DETAILS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		r->details[r->n_details++] = s;
}

void
v_worsen(struct v_result *r, enum v_status st)
{
	if (r && st > r->status)
		r->status = st;
}

enum v_status
v_summary(const struct v_report *rep, size_t counts[3])
{
	enum v_status worst = V_PASS;
	size_t i;

	counts[0] = counts[1] = counts[2] = 0;
	for (i = 0; i < rep->n; i++) {
		counts[rep->r[i].status]++;
		if (rep->r[i].status > worst)
			worst = rep->r[i].status;
	}
	return worst;
}

void
v_report_clear(struct v_report *rep)
{
	size_t i, k;

	for (i = 0; i < rep->n; i++) {
		for (k = 0; k < rep->r[i].n_details; k++)
			free(rep->r[i].details[k]);
		rep->r[i].n_details = 0;
	}
	rep->n = 0;
}

/* ---- text ---- */

void
v_render_text(const struct v_report *rep, FILE *f)
{
	static const char *const tags[] = { "PASS", "WARN", "FAIL" };
	const char *cat = "";
	size_t counts[3], i, k;
	enum v_status worst = v_summary(rep, counts);

	fprintf(f, "Validation of %s (%s, %.1f s)\n", rep->nodes, rep->started, rep->seconds);
	for (i = 0; i < rep->n; i++) {
		const struct v_result *r = &rep->r[i];

		if (strcmp(cat, r->category) != 0) {
			cat = r->category;
			fprintf(f, "\n%s\n", cat);
		}
		fprintf(f, "  %s  %-34s %s\n", tags[r->status], r->name, r->reason);
		for (k = 0; k < r->n_details; k++)
			fprintf(f, "        %s\n", r->details[k]);
	}
	fprintf(f, "\n%zu tests: %zu passed, %zu warnings, %zu failed: %s\n", rep->n,
		counts[V_PASS], counts[V_WARN], counts[V_FAIL],
		worst == V_FAIL ? "NOT fit for a cluster" :
		worst == V_WARN ? "fit, with warnings" : "fit for a cluster");
}

/* ---- JSON ---- */

json_object *
v_render_json(const struct v_report *rep)
{
	json_object *o = json_object_new_object(), *tests = json_object_new_array();
	json_object *sum = json_object_new_object();
	size_t counts[3], i, k;
	enum v_status worst = v_summary(rep, counts);

	json_object_object_add(o, "nodes", json_object_new_string(rep->nodes));
	json_object_object_add(o, "started", json_object_new_string(rep->started));
	json_object_object_add(o, "seconds", json_object_new_double(rep->seconds));
	json_object_object_add(sum, "pass", json_object_new_int64((int64_t)counts[V_PASS]));
	json_object_object_add(sum, "warning", json_object_new_int64((int64_t)counts[V_WARN]));
	json_object_object_add(sum, "fail", json_object_new_int64((int64_t)counts[V_FAIL]));
	json_object_object_add(sum, "result", json_object_new_string(v_status_name(worst)));
	json_object_object_add(o, "summary", sum);
	for (i = 0; i < rep->n; i++) {
		const struct v_result *r = &rep->r[i];
		json_object *t = json_object_new_object(), *d = json_object_new_array();

		json_object_object_add(t, "category", json_object_new_string(r->category));
		json_object_object_add(t, "name", json_object_new_string(r->name));
		json_object_object_add(t, "result", json_object_new_string(v_status_name(r->status)));
		json_object_object_add(t, "reason", json_object_new_string(r->reason));
		for (k = 0; k < r->n_details; k++)
			json_object_array_add(d, json_object_new_string(r->details[k]));
		json_object_object_add(t, "details", d);
		json_object_array_add(tests, t);
	}
	json_object_object_add(o, "tests", tests);
	return o;
}

/* ---- HTML ---- */

static void
html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char css[] =
"body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
"h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em;text-transform:capitalize}"
"table{border-collapse:collapse;width:100%}"
"td,th{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}"
"table{table-layout:fixed}th{background:#f3f3f3}.res{font-weight:bold;width:6em}th:first-child{width:18em}th:nth-child(2){width:6em}"
".pass .res{color:#17702a;background:#e5f5e8}.warning .res{color:#8a5a00;background:#fff4d6}"
".fail .res{color:#a0141e;background:#fde4e6}ul{margin:.3em 0;padding-left:1.2em}"
"li{font-family:monospace;font-size:.9em}.sum{font-size:1.1em;padding:.6em;border:1px solid #ccc}";

void
v_render_html(const struct v_report *rep, FILE *f)
{
	size_t counts[3], i, k;
	enum v_status worst = v_summary(rep, counts);
	const char *cat = NULL;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>clusterd validation report</title><style>%s</style></head><body>\n", css);
	fputs("<h1>Validation report: ", f);
	html_text(f, rep->nodes);
	fputs("</h1>\n<p>Started ", f);
	html_text(f, rep->started);
	fprintf(f, ", took %.1f s.</p>\n", rep->seconds);
	fprintf(f, "<p class=\"sum %s\" id=\"summary\">%zu tests: %zu passed, %zu warnings, "
		"%zu failed. Result: <b>%s</b></p>\n", v_status_name(worst), rep->n,
		counts[V_PASS], counts[V_WARN], counts[V_FAIL], v_status_name(worst));
	for (i = 0; i < rep->n; i++) {
		const struct v_result *r = &rep->r[i];

		if (!cat || strcmp(cat, r->category) != 0) {
			if (cat)
				fputs("</table>\n", f);
			cat = r->category;
			fputs("<h2>", f);
			html_text(f, cat);
			fputs("</h2>\n<table><tr><th>Test</th><th>Result</th><th>Reason and details</th></tr>\n", f);
		}
		fprintf(f, "<tr class=\"test %s\" data-result=\"%s\"><td class=\"name\">",
			v_status_name(r->status), v_status_name(r->status));
		html_text(f, r->name);
		fprintf(f, "</td><td class=\"res\">%s</td><td>", v_status_name(r->status));
		html_text(f, r->reason);
		if (r->n_details) {
			fputs("<ul>", f);
			for (k = 0; k < r->n_details; k++) {
				fputs("<li>", f);
				html_text(f, r->details[k]);
				fputs("</li>", f);
			}
			fputs("</ul>", f);
		}
		fputs("</td></tr>\n", f);
	}
	if (cat)
		fputs("</table>\n", f);
	fputs("</body></html>\n", f);
}
