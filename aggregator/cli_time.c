#include "cli_time.h"

#include <stdio.h>
#include <string.h>

#include "pd_err.h"

#define MAX_EPOCH 253402300799LL /* 9999-12-31 23:59:59 */

/* After Howard Hinnant's days_from_civil: exact for every proleptic
 * Gregorian date, no tables, no timegm (which consults the environment). */
int64_t cli_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return dm[m - 1] + (m == 2 && leap);
}

/* Exactly n decimal digits at *p. */
static int digits(const char **p, int n, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* "", "Z", "+HH:MM", "+HHMM", "-HH:MM", "-HHMM" into seconds east of UTC. */
static int parse_offset(const char *p, int64_t *off)
{
	unsigned hh, mm;
	*off = 0;
	if (*p == 0 || (p[0] == 'Z' && p[1] == 0))
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	int neg = *p++ == '-';
	if (digits(&p, 2, &hh) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (digits(&p, 2, &mm) < 0 || *p || hh > 23 || mm > 59)
		return -1;
	*off = (int64_t)(hh * 3600 + mm * 60) * (neg ? -1 : 1);
	return 0;
}

static int parse_date(const char *s, int64_t *out)
{
	const char *p = s;
	unsigned y, mo, d, hh = 0, mi = 0, ss = 0;
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    digits(&p, 2, &d) < 0)
		return PD_EMALF;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return PD_EMALF;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &hh) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
			return PD_EMALF;
		if (*p == ':' && (p++, digits(&p, 2, &ss) < 0))
			return PD_EMALF;
		if (hh > 23 || mi > 59 || ss > 59)
			return PD_EMALF;
	}
	int64_t off;
	if (parse_offset(p, &off) < 0)
		return PD_EMALF;
	int64_t t = cli_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off;
	if (t < 0)
		return PD_ELIMIT;
	*out = t;
	return 0;
}

/* "N" (epoch seconds), or "[-]N<unit>" and "-N" (that long before now). */
static int parse_number(const char *s, int64_t now, int64_t *out)
{
	static const char units[] = "smhdw";
	static const int64_t mult[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *p = s;
	int neg = *p == '-';
	p += neg;
	if (*p < '0' || *p > '9')
		return PD_EMALF;
	uint64_t n = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (uint64_t)MAX_EPOCH)
			return PD_ELIMIT;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n > (uint64_t)MAX_EPOCH)
		return PD_ELIMIT;
	const char *u = *p ? strchr(units, *p) : NULL;
	if (*p && (!u || p[1]))
		return PD_EMALF;
	if (!u && !neg) {
		*out = (int64_t)n; /* epoch seconds */
		return 0;
	}
	int64_t m = u ? mult[u - units] : 1;
	if ((int64_t)n > MAX_EPOCH / m)
		return PD_ELIMIT;
	int64_t back = (int64_t)n * m;
	*out = back > now ? 0 : now - back;
	return 0;
}

int cli_time_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t t = now;
	int rc = 0;
	if (!s || !*s)
		return PD_EMALF;
	if (strcmp(s, "now") != 0) {
		if (strlen(s) >= 10 && s[4] == '-' && s[0] != '-')
			rc = parse_date(s, &t);
		else
			rc = parse_number(s, now, &t);
	}
	if (rc < 0)
		return rc;
	if (t > MAX_EPOCH)
		return PD_ELIMIT;
	*out = t;
	return 0;
}

void cli_time_fmt(int64_t t, char out[CLI_TIME_LEN])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec = t - days * 86400, y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, CLI_TIME_LEN, "%lld", (long long)t);
		return;
	}
	snprintf(out, CLI_TIME_LEN, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)y, m, d,
	         (unsigned)(sec / 3600), (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));
}

void cli_age_fmt(int64_t secs, char *out, size_t cap)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, cap, "%llds", (long long)secs);
	else if (secs < 2 * 3600)
		snprintf(out, cap, "%lldm", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(out, cap, "%lldh", (long long)(secs / 3600));
	else
		snprintf(out, cap, "%lldd", (long long)(secs / 86400));
}
