#include "pd_cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"

#define CFG_LINE_MAX 4096

static void *cfg_field(const struct pd_cfg_opt *o, void *conf)
{
	return (char *)conf + o->offset;
}

static int cfg_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return PD_ECONFIG;
}

static int cfg_parse_num(const char *s, const char *units, const uint64_t *mult, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return PD_ECONFIG;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return PD_ECONFIG;
	uint64_t m = 1;
	if (*end) {
		const char *u = strchr(units, *end);
		if (!u || end[1])
			return PD_ECONFIG;
		m = mult[u - units];
	}
	if (v > UINT64_MAX / m)
		return PD_ECONFIG;
	*out = (uint64_t)v * m;
	return 0;
}

int pd_cfg_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	return cfg_parse_num(s, "smhd", mult, out);
}

int pd_cfg_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1024, 1024, 1ull << 20, 1ull << 30, 1ull << 30 };
	return cfg_parse_num(s, "kKMGg", mult, out);
}

static int cfg_parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "off"))
		*out = 0;
	else
		return PD_ECONFIG;
	return 0;
}

int pd_cfg_set(const struct pd_cfg_opt *o, void *conf, const char *value, char *err,
               size_t errlen)
{
	void *f = cfg_field(o, conf);
	uint64_t v;

	switch (o->type) {
	case PD_CFG_STR: {
		char *dup = strdup(value);
		if (!dup)
			return cfg_errf(err, errlen, "out of memory");
		free(*(char **)f);
		*(char **)f = dup;
		return 0;
	}
	case PD_CFG_UINT:
	case PD_CFG_SIZE:
		if ((o->type == PD_CFG_UINT ? pd_cfg_parse_duration(value, &v)
		                            : pd_cfg_parse_size(value, &v)) < 0)
			return cfg_errf(err, errlen, "%s: '%s' is not a %s", o->name, value,
			                o->type == PD_CFG_UINT ? "number" : "size");
		if (v < o->min || v > o->max)
			return cfg_errf(err, errlen, "%s: %s is out of range %llu..%llu", o->name,
			                value, (unsigned long long)o->min, (unsigned long long)o->max);
		*(uint64_t *)f = v;
		return 0;
	case PD_CFG_BOOL:
		if (cfg_parse_bool(value, (int *)f) < 0)
			return cfg_errf(err, errlen, "%s: '%s' is not yes or no", o->name, value);
		return 0;
	case PD_CFG_LIST: {
		struct pd_cfg_list *l = f;
		if (l->n == PD_CFG_LIST_MAX)
			return cfg_errf(err, errlen, "%s: more than %d values", o->name,
			                PD_CFG_LIST_MAX);
		if (!(l->v[l->n] = strdup(value)))
			return cfg_errf(err, errlen, "out of memory");
		l->n++;
		return 0;
	}
	}
	return PD_ECONFIG;
}

static void cfg_list_clear(struct pd_cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void pd_cfg_free(const struct pd_cfg_opt *opts, void *conf)
{
	for (const struct pd_cfg_opt *o = opts; o->name; o++) {
		if (o->type == PD_CFG_STR) {
			free(*(char **)cfg_field(o, conf));
			*(char **)cfg_field(o, conf) = NULL;
		} else if (o->type == PD_CFG_LIST) {
			cfg_list_clear(cfg_field(o, conf));
		}
	}
}

static int cfg_defaults(const struct pd_cfg_opt *opts, void *conf, char *err, size_t errlen)
{
	for (const struct pd_cfg_opt *o = opts; o->name; o++) {
		if (o->def && pd_cfg_set(o, conf, o->def, err, errlen) < 0)
			return PD_ECONFIG;
	}
	return 0;
}

static char *cfg_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int cfg_same_section(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static const struct pd_cfg_opt *cfg_find(const struct pd_cfg_opt *opts, const char *name)
{
	for (const struct pd_cfg_opt *o = opts; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static int cfg_known_section(const struct pd_cfg_opt *opts, const char *sec)
{
	for (const struct pd_cfg_opt *o = opts; o->name; o++)
		if (o->section && !strcmp(o->section, sec))
			return 1;
	return 0;
}

/* Handles one "key = value" line inside section sec (NULL at the top). */
static int cfg_line(const struct pd_cfg_opt *opts, void *conf, const char *sec, char *line,
                    struct pd_cfg_list **seen_lists, size_t *nseen, char *err, size_t errlen)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return cfg_errf(err, errlen, "expected 'key = value'");
	*eq = 0;
	char *key = cfg_trim(line), *val = cfg_trim(eq + 1);
	size_t vl = strlen(val);
	if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
		val[vl - 1] = 0;
		val++;
	}
	const struct pd_cfg_opt *o = cfg_find(opts, key);
	if (o && !cfg_same_section(o->section, sec))
		return cfg_errf(err, errlen, "key '%s' belongs %s%s%s", key,
		                o->section ? "in [" : "before any section",
		                o->section ? o->section : "", o->section ? "]" : "");
	if (!o)
		return cfg_errf(err, errlen, "unknown key '%s'%s%s%s", key, sec ? " in [" : "",
		                sec ? sec : "", sec ? "]" : "");
	if (o->type == PD_CFG_LIST) {
		/* The file's first value replaces the default list. */
		struct pd_cfg_list *l = cfg_field(o, conf);
		size_t i;
		for (i = 0; i < *nseen && seen_lists[i] != l; i++)
			;
		if (i == *nseen && *nseen < 64) {
			cfg_list_clear(l);
			seen_lists[(*nseen)++] = l;
		}
	}
	return pd_cfg_set(o, conf, val, err, errlen);
}

int pd_cfg_load_file(const struct pd_cfg_opt *opts, void *conf, const char *path,
                     char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cfg_errf(err, errlen, "%s: %s", path, strerror(errno));
	char line[CFG_LINE_MAX], sec[128] = "", msg[512];
	int have_sec = 0, lineno = 0, rc = 0;
	struct pd_cfg_list *seen[64];
	size_t nseen = 0;

	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = cfg_errf(err, errlen, "%s:%d: line too long", path, lineno);
			break;
		}
		char *s = cfg_trim(line);
		if (*s == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e || e[1] || e - s - 1 >= (long)sizeof(sec)) {
				rc = cfg_errf(err, errlen, "%s:%d: bad section header", path, lineno);
				break;
			}
			*e = 0;
			snprintf(sec, sizeof(sec), "%s", cfg_trim(s + 1));
			if (!cfg_known_section(opts, sec)) {
				rc = cfg_errf(err, errlen, "%s:%d: unknown section [%s]", path, lineno, sec);
				break;
			}
			have_sec = 1;
			continue;
		}
		if (cfg_line(opts, conf, have_sec ? sec : NULL, s, seen, &nseen, msg, sizeof(msg)) < 0)
			rc = cfg_errf(err, errlen, "%s:%d: %s", path, lineno, msg);
	}
	fclose(f);
	return rc;
}

static const struct pd_cfg_opt *cfg_find_short(const struct pd_cfg_opt *opts, char c)
{
	for (const struct pd_cfg_opt *o = opts; o->name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

/* Finds -c FILE / --config FILE / --config=FILE before anything else. */
static const char *cfg_config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

/* The option command-line argument a ("--name", "--name=VALUE" or "-x")
 * names, or NULL; *val is its inline value or NULL. */
static const struct pd_cfg_opt *cfg_cli_opt(const struct pd_cfg_opt *opts, const char *a,
                                            const char **val)
{
	*val = NULL;
	if (a[1] != '-')
		return a[2] ? NULL : cfg_find_short(opts, a[1]);
	char name[128];
	const char *eq = strchr(a + 2, '=');
	size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
	if (n >= sizeof(name))
		return NULL;
	memcpy(name, a + 2, n);
	name[n] = 0;
	*val = eq ? eq + 1 : NULL;
	return cfg_find(opts, name);
}

/* Parses argv[*i] (and maybe its value); advances *i. */
static int cfg_arg(const struct pd_cfg_opt *opts, void *conf, int argc, char **argv, int *i,
                   struct pd_cfg_list **cli_lists, size_t *ncli, char *err, size_t errlen)
{
	const char *a = argv[*i], *val;
	if (a[1] != '-' && a[2])
		return cfg_errf(err, errlen, "unknown option %s (one letter per dash)", a);
	const struct pd_cfg_opt *o = cfg_cli_opt(opts, a, &val);
	if (!o)
		return cfg_errf(err, errlen, "unknown option %s", a);
	if (o->type == PD_CFG_BOOL) {
		if (val)
			return pd_cfg_set(o, conf, val, err, errlen);
		*(int *)cfg_field(o, conf) = 1;
		return 0;
	}
	if (!val) {
		if (*i + 1 >= argc)
			return cfg_errf(err, errlen, "option %s needs a value", a);
		val = argv[++*i];
	}
	if (o->type == PD_CFG_LIST) {
		struct pd_cfg_list *l = cfg_field(o, conf);
		size_t k;
		for (k = 0; k < *ncli && cli_lists[k] != l; k++)
			;
		if (k == *ncli && *ncli < 64) {
			cfg_list_clear(l);
			cli_lists[(*ncli)++] = l;
		}
	}
	return pd_cfg_set(o, conf, val, err, errlen);
}

int pd_cfg_load(const struct pd_cfg_opt *opts, void *conf, int argc, char **argv,
                int *first_arg, char *err, size_t errlen)
{
	if (cfg_defaults(opts, conf, err, errlen) < 0)
		return PD_ECONFIG;
	const char *file = cfg_config_arg(argc, argv);
	if (file && pd_cfg_load_file(opts, conf, file, err, errlen) < 0)
		return PD_ECONFIG;
	struct pd_cfg_list *cli_lists[64];
	size_t ncli = 0;
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == 0)
			break;
		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strncmp(a, "--config=", 9))
			continue;
		if (cfg_arg(opts, conf, argc, argv, &i, cli_lists, &ncli, err, errlen) < 0)
			return PD_EUSAGE;
	}
	if (!first_arg && i < argc) {
		cfg_errf(err, errlen, "unexpected argument '%s'", argv[i]);
		return PD_EUSAGE;
	}
	if (first_arg)
		*first_arg = i;
	return 0;
}

int pd_cfg_on_cli(const struct pd_cfg_opt *opts, const char *name, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--") || a[0] != '-' || a[1] == 0)
			return 0;
		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			i++;
			continue;
		}
		const char *val;
		const struct pd_cfg_opt *o = cfg_cli_opt(opts, a, &val);
		if (!o)
			continue; /* pd_cfg_load refuses it */
		if (!strcmp(o->name, name))
			return 1;
		if (o->type != PD_CFG_BOOL && !val)
			i++; /* its value */
	}
	return 0;
}

void pd_cfg_usage(const struct pd_cfg_opt *opts, FILE *f)
{
	fprintf(f, "  -c, --config FILE            configuration file (same keys as the long options)\n");
	for (const struct pd_cfg_opt *o = opts; o->name; o++) {
		char lhs[64];
		if (o->short_name)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->short_name, o->name,
			         o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s", lhs, o->help);
		if (o->def && o->type != PD_CFG_BOOL)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
}
