#include "pd_cof.h"

#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_rr.h"

int pd_cof_name_json(struct pd_buf *b, const uint8_t *name, size_t len, unsigned flags)
{
	char text[PD_DNS_TEXT_MAX];
	int n = pd_rr_name_format(name, len, flags, text, sizeof(text));
	if (n < 0)
		return n;
	return pd_buf_add_json_str(b, text, (size_t)n);
}

int pd_cof_rdata_json(struct pd_buf *b, const struct pd_obs *o, unsigned flags)
{
	char small[4096];
	int n = pd_rr_format(o->type, o->rdata, o->rdlen, flags, small, sizeof(small));
	if (n >= 0)
		return pd_buf_add_json_str(b, small, (size_t)n);
	if (n != PD_ESPACE)
		return n;
	size_t cap = pd_rr_format_cap(o->rdlen);
	char *big = malloc(cap);
	if (!big)
		return -12; /* -ENOMEM */
	n = pd_rr_format(o->type, o->rdata, o->rdlen, flags, big, cap);
	int rc = n < 0 ? n : pd_buf_add_json_str(b, big, (size_t)n);
	free(big);
	return rc;
}

int pd_cof_begin(struct pd_buf *b, const struct pd_obs *o, unsigned flags)
{
	char type[16];
	size_t tl = pd_rr_type_name(o->type, type);
	int rc = pd_buf_adds(b, "{\"rrname\":");
	if (rc == 0)
		rc = pd_cof_name_json(b, o->name, o->name_len, flags);
	if (rc == 0)
		rc = pd_buf_adds(b, ",\"rrtype\":");
	if (rc == 0)
		rc = pd_buf_add_json_str(b, type, tl);
	if (rc == 0 && (o->flags & PD_OBS_NXDOMAIN))
		rc = pd_buf_adds(b, ",\"rcode\":\"NXDOMAIN\"");
	else if (rc == 0) {
		rc = pd_buf_adds(b, ",\"rdata\":");
		if (rc == 0)
			rc = pd_cof_rdata_json(b, o, flags);
	}
	if (rc == 0)
		rc = pd_buf_adds(b, ",\"count\":");
	if (rc == 0)
		rc = pd_buf_add_u64(b, o->count);
	if (rc == 0)
		rc = pd_buf_adds(b, ",\"time_first\":");
	if (rc == 0)
		rc = pd_buf_add_i64(b, o->first_s);
	if (rc == 0)
		rc = pd_buf_adds(b, ",\"time_last\":");
	if (rc == 0)
		rc = pd_buf_add_i64(b, o->last_s);
	return rc;
}

int pd_cof_end(struct pd_buf *b)
{
	return pd_buf_add(b, "}\n", 2);
}

int pd_cof_str_field(struct pd_buf *b, const char *key, const char *value)
{
	int rc = pd_buf_addc(b, ',');
	if (rc == 0)
		rc = pd_buf_add_json_str(b, key, strlen(key));
	if (rc == 0)
		rc = pd_buf_addc(b, ':');
	if (rc == 0)
		rc = pd_buf_add_json_str(b, value, strlen(value));
	return rc;
}
