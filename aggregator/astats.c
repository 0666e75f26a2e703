#include "astats.h"

#include <string.h>

#include "pd_err.h"
#include "promtext.h"

const char *const agg_stat_names[AS__COUNT] = {
#define AGG_STAT_NAME(n, help) #n,
	AGG_STATS(AGG_STAT_NAME)
#undef AGG_STAT_NAME
};

const char *const agg_stat_help[AS__COUNT] = {
#define AGG_STAT_HELP(n, help) help,
	AGG_STATS(AGG_STAT_HELP)
#undef AGG_STAT_HELP
};

const char *const agg_auth_names[PD_SIGN_NREASONS] = {
	[PD_SIGN_OK] = "ok",
	[PD_SIGN_MALFORMED] = "malformed_cert",
	[PD_SIGN_UNKNOWN_CA] = "unknown_ca",
	[PD_SIGN_EXPIRED] = "expired",
	[PD_SIGN_REVOKED] = "revoked",
	[PD_SIGN_CRL] = "crl",
	[PD_SIGN_POLICY] = "policy",
	[PD_SIGN_WRONG_ROLE] = "wrong_role",
	[PD_SIGN_BAD_IDENTITY] = "bad_identity",
	[PD_SIGN_BAD_SIG] = "bad_signature",
	[PD_SIGN_INTERNAL] = "internal",
};

void astats_print(const struct agg_stats *st, FILE *f, const char *heading)
{
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "almanac-aggregator: %s\n", heading);
	for (int i = 0; i < AS__COUNT && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %-28s %llu\n", agg_stat_names[i],
		                      (unsigned long long)astat_get(st, (enum agg_stat)i));
	for (int r = 1; r < PD_SIGN_NREASONS && n < sizeof(buf); r++) {
		char name[64];
		snprintf(name, sizeof(name), "refused_auth_%s", agg_auth_names[r]);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  %-28s %llu\n", name,
		                      (unsigned long long)atomic_load(&st->auth[r]));
	}
	if (n > sizeof(buf))
		n = sizeof(buf);
	fwrite(buf, 1, n, f);
	fflush(f);
}

int astats_metrics(const struct agg_stats *st, struct pd_buf *b)
{
	int rc = 0;
	char name[96];
	for (int i = 0; i < AS__COUNT; i++) {
		snprintf(name, sizeof(name), "almanac_aggregator_%s_total", agg_stat_names[i]);
		prom_head(b, name, "counter", agg_stat_help[i]);
		rc |= pd_buf_addf(b, "%s %llu\n", name,
		                  (unsigned long long)astat_get(st, (enum agg_stat)i));
	}
	prom_head(b, "almanac_aggregator_auth_refusals_total", "counter",
	          "Batches refused at authentication, by reason.");
	for (int r = 1; r < PD_SIGN_NREASONS; r++)
		rc |= pd_buf_addf(b, "almanac_aggregator_auth_refusals_total{reason=\"%s\"} %llu\n",
		                  agg_auth_names[r], (unsigned long long)atomic_load(&st->auth[r]));
	return rc < 0 ? PD_ELIMIT : 0;
}
