/*
 * Fuzz target: one DNS message through the observation path (header,
 * question, every section, rdata canonicalization, folding) and the
 * presentation of what comes out; plus the formatter on raw bytes, which
 * must reject what is not canonical without reading out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dnsobs.h"
#include "fold.h"
#include "pd_buf.h"
#include "pd_cof.h"
#include "pd_rr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fold *fold;
static struct dnsobs *obs;
static struct sensor_stats st;
static struct pd_buf line;

static void sink(void *ctx, const struct pd_obs *o)
{
	(void)ctx;
	pd_buf_reset(&line);
	pd_cof_begin(&line, o, 0);
	pd_cof_end(&line);
	pd_buf_reset(&line);
	pd_cof_begin(&line, o, PD_RR_FQDN);
}

static void full(void *ctx)
{
	(void)ctx;
	fold_flush(fold, sink, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fold) {
		fold = fold_new(1024, 1 << 20, 1);
		obs = dnsobs_new(fold, DNSOBS_ANSWER | DNSOBS_AUTHORITY | DNSOBS_ADDITIONAL, &st,
		                 full, NULL);
		pd_buf_init(&line, 64u << 20);
		if (!obs)
			abort();
	}
	dnsobs_message(obs, data, size, 1700000000);
	dnsobs_drain(obs);
	fold_flush(fold, sink, NULL);

	if (size >= 2) {
		uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
		char small[512];
		pd_rr_format(type, data + 2, size - 2, 0, small, sizeof(small));
		size_t cap = pd_rr_format_cap(size - 2);
		char *big = malloc(cap);
		if (big) {
			pd_rr_format(type, data + 2, size - 2, PD_RR_FQDN, big, cap);
			free(big);
		}
	}
	return 0;
}
