#include "cofline.h"

#include <stdio.h>
#include <string.h>

#include "pd_cof.h"
#include "pd_rr.h"

int cofline_sites(struct pd_buf *b, const struct rec_val *v, struct sites *sites)
{
	char name[SITE_NAME_MAX + 1];
	int rc = pd_buf_adds(b, ",\"sites\":{");
	for (size_t i = 0; i < v->nsites && rc == 0; i++) {
		if (sites_name(sites, v->sites[i].site, name) < 0)
			snprintf(name, sizeof(name), "site-%u", v->sites[i].site);
		if (i)
			rc = pd_buf_addc(b, ',');
		if (rc == 0)
			rc = pd_buf_add_json_str(b, name, strlen(name));
		if (rc == 0)
			rc = pd_buf_addf(b, ":{\"count\":%llu,\"time_first\":%lld,\"time_last\":%lld}",
			                 (unsigned long long)v->sites[i].count,
			                 (long long)v->sites[i].first_s, (long long)v->sites[i].last_s);
	}
	if (rc == 0)
		rc = pd_buf_addc(b, '}');
	return rc;
}

static int cofline_raw(struct pd_buf *b, const struct pd_obs *o)
{
	static const char hex[] = "0123456789abcdef";
	int rc = pd_buf_adds(b, ",\"rdata_raw\":\"");
	if (rc == 0)
		rc = pd_buf_reserve(b, o->rdlen * 2 + 1);
	for (size_t i = 0; rc == 0 && i < o->rdlen; i++) {
		b->data[b->len++] = (uint8_t)hex[o->rdata[i] >> 4];
		b->data[b->len++] = (uint8_t)hex[o->rdata[i] & 15];
	}
	if (rc == 0)
		rc = pd_buf_addc(b, '"');
	return rc;
}

int cofline_write(struct pd_buf *b, const struct pd_obs *o, const struct rec_val *v,
                  struct sites *sites, unsigned flags)
{
	size_t mark = b->len;
	int rc = pd_cof_begin(b, o, flags & 0xff);
	if (rc == 0 && (flags & COFLINE_SITES))
		rc = cofline_sites(b, v, sites);
	if (rc == 0 && (flags & COFLINE_RAW) && !(o->flags & PD_OBS_NXDOMAIN))
		rc = cofline_raw(b, o);
	if (rc == 0)
		rc = pd_cof_end(b);
	if (rc < 0)
		b->len = mark;
	return rc;
}
