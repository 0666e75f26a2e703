#include "pd_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pd_log_level = PD_LOG_INFO;
static const char *pd_log_prog = "almanac";

int pd_log_level_parse(const char *name)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

void pd_log_init(const char *prog, int level)
{
	pd_log_prog = prog;
	pd_log_level = level;
}

static void pd_log_vwrite(int with_errno, int saved_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void pd_log_vwrite(int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: ", pd_log_prog);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = m < 0 ? (size_t)n : (size_t)n + (size_t)m;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	if (with_errno)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " (%s)",
		                        strerror(saved_errno));
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write per line so concurrent threads do not interleave. */
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}

void pd_log_write(int level, int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	(void)level;
	va_start(ap, fmt);
	pd_log_vwrite(with_errno, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void pd_log_fatal(int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	pd_log_vwrite(with_errno, saved, fmt, ap);
	va_end(ap);
	exit(1);
}
