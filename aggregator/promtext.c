#include "promtext.h"

int prom_head(struct pd_buf *b, const char *name, const char *type, const char *help)
{
	return pd_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}
