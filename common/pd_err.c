#include "pd_err.h"

#include <string.h>

static const struct {
	int code;
	const char *text;
} pd_errtab[] = {
	{PD_EMALF, "malformed input"},
	{PD_ELIMIT, "limit exceeded"},
	{PD_ETRUNC, "truncated input"},
	{PD_ELOOP, "compression pointer loop"},
	{PD_ENAME, "name longer than 255 octets"},
	{PD_ELABEL, "bad label"},
	{PD_ESPACE, "output buffer too small"},
	{PD_ECONFIG, "configuration error"},
	{PD_EAUTH, "authentication failed"},
	{PD_ESTORE, "storage error"},
	{PD_EPROTO, "protocol error"},
	{PD_EVERSION, "unsupported version"},
	{PD_ENOTFOUND, "not found"},
	{PD_EBUSY, "busy"},
	{PD_ETIMEOUT, "timed out"},
	{PD_ECRYPTO, "cryptographic error"},
	{PD_ENET, "network error"},
	{PD_EUSAGE, "usage error"},
	{PD_EDUP, "duplicate"},
	{PD_ESTALE, "stale"},
};

const char *pd_strerror(int code)
{
	if (code == 0)
		return "success";
	for (size_t i = 0; i < sizeof(pd_errtab) / sizeof(pd_errtab[0]); i++)
		if (pd_errtab[i].code == code)
			return pd_errtab[i].text;
	if (code < 0 && code > -1000)
		return strerror(-code);
	return "unknown error";
}
