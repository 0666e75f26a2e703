#include "stats.h"

const char *const sensor_stat_names[ST__COUNT] = {
#define SENSOR_STAT_NAME(n) #n,
	SENSOR_STATS(SENSOR_STAT_NAME)
#undef SENSOR_STAT_NAME
};

void stats_print(const struct sensor_stats *st, FILE *f, const char *heading)
{
	char buf[4096];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "almanac-sensor: %s\n", heading);
	for (int i = 0; i < ST__COUNT && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %-28s %llu\n", sensor_stat_names[i],
		                      (unsigned long long)stat_get(st, (enum sensor_stat)i));
	if (n > sizeof(buf))
		n = sizeof(buf);
	fwrite(buf, 1, n, f);
	fflush(f);
}
