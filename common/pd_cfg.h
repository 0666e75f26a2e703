/*
 * pd_cfg: one schema table per program drives both its command line and its
 * configuration file.
 *
 * File syntax: "key = value" lines, "[section]" headers, "#" comments,
 * values optionally in double quotes. Keys are the long option names and
 * must appear in their option's section (or before any section header, for
 * options whose section is NULL). Unknown keys, bad values and out-of-range
 * numbers are errors reported as "file:line: ...". Order of precedence:
 * defaults, then the file named by -c, then the command line.
 *
 * Values are stored into the program's configuration struct at each
 * option's offset: char * for STR (heap, freed by pd_cfg_free), uint64_t for
 * UINT and SIZE, int for BOOL, struct pd_cfg_list for LIST.
 */
#ifndef PD_CFG_H
#define PD_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pd_cfg_type {
	PD_CFG_STR,
	PD_CFG_UINT, /* decimal; durations accept s, m, h, d suffixes */
	PD_CFG_SIZE, /* bytes; accepts k, M, G suffixes (powers of 1024) */
	PD_CFG_BOOL, /* flag on the command line; yes/no/true/false/1/0 in files */
	PD_CFG_LIST, /* repeatable; the command line replaces the file's list */
};

#define PD_CFG_LIST_MAX 32

struct pd_cfg_list {
	char *v[PD_CFG_LIST_MAX];
	size_t n;
};

struct pd_cfg_opt {
	const char *name;    /* long option and file key */
	char short_name;     /* 0 when none */
	const char *section; /* file section, NULL for the top */
	enum pd_cfg_type type;
	size_t offset;
	uint64_t min, max;   /* UINT and SIZE ranges */
	const char *def;     /* default, as text; NULL for none */
	const char *arg;     /* placeholder in help, NULL for BOOL */
	const char *help;
};

#define PD_CFG_END { NULL, 0, NULL, PD_CFG_STR, 0, 0, 0, NULL, NULL, NULL }

/*
 * Applies defaults, then the file given with -c FILE / --config FILE (if
 * any), then the other command-line options. On success *first_arg is the
 * index of the first positional argument; with first_arg NULL, positional
 * arguments are a usage error. Errors are written to err.
 * Returns 0, or PD_ECONFIG / PD_EUSAGE.
 */
int pd_cfg_load(const struct pd_cfg_opt *opts, void *conf, int argc, char **argv,
                int *first_arg, char *err, size_t errlen);

/* Whether the command line (as pd_cfg_load reads it) sets option name:
 * lets a program let the command line override a file's choice between
 * options that exclude each other. */
int pd_cfg_on_cli(const struct pd_cfg_opt *opts, const char *name, int argc, char **argv);

/* Loads one file over the current values (used by pd_cfg_load and tests). */
int pd_cfg_load_file(const struct pd_cfg_opt *opts, void *conf, const char *path,
                     char *err, size_t errlen);

/* Sets one option from text, as the file and command line do. */
int pd_cfg_set(const struct pd_cfg_opt *o, void *conf, const char *value, char *err,
               size_t errlen);

void pd_cfg_free(const struct pd_cfg_opt *opts, void *conf);

/* Writes the option list for -h. */
void pd_cfg_usage(const struct pd_cfg_opt *opts, FILE *f);

/* Parses "10", "10s", "5m", "2h", "1d" to seconds. 0 or PD_ECONFIG. */
int pd_cfg_parse_duration(const char *s, uint64_t *out);
/* Parses "512", "64k", "16M", "2G" to bytes. 0 or PD_ECONFIG. */
int pd_cfg_parse_size(const char *s, uint64_t *out);

#endif
