#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_buf.h"
#include "pd_cof.h"

#define OUTPUT_STDIO_BUF (1u << 20)

struct output {
	FILE *f;
	int is_stdout;
	int err;
	char *sensor_id;
	struct pd_buf line;
	char *iobuf;
};

struct output *output_open(const char *path, const char *sensor_id)
{
	struct output *out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	out->is_stdout = strcmp(path, "-") == 0;
	out->f = out->is_stdout ? stdout : fopen(path, "w");
	out->sensor_id = strdup(sensor_id);
	out->iobuf = malloc(OUTPUT_STDIO_BUF);
	if (!out->f || !out->sensor_id || !out->iobuf) {
		int e = errno;
		if (out->f && !out->is_stdout)
			fclose(out->f);
		free(out->sensor_id);
		free(out->iobuf);
		free(out);
		errno = e;
		return NULL;
	}
	setvbuf(out->f, out->iobuf, _IOFBF, OUTPUT_STDIO_BUF);
	/* One line is bounded by the largest rdata's presentation. */
	pd_buf_init(&out->line, 64u << 20);
	return out;
}

void output_obs(void *ctx, const struct pd_obs *o)
{
	struct output *out = ctx;
	pd_buf_reset(&out->line);
	if (pd_cof_begin(&out->line, o, 0) < 0 ||
	    pd_cof_str_field(&out->line, "sensor_id", out->sensor_id) < 0 ||
	    pd_cof_end(&out->line) < 0) {
		if (!out->err)
			out->err = -ENOMEM;
		return;
	}
	if (fwrite(out->line.data, 1, out->line.len, out->f) != out->line.len && !out->err)
		out->err = -errno;
}

int output_flush(struct output *out)
{
	if (fflush(out->f) != 0 && !out->err)
		out->err = -errno;
	return out->err;
}

int output_error(const struct output *out)
{
	return out->err;
}

int output_close(struct output *out)
{
	if (!out)
		return 0;
	int rc = output_flush(out);
	if (!out->is_stdout && fclose(out->f) != 0 && !rc)
		rc = -errno;
	pd_buf_fini(&out->line);
	free(out->sensor_id);
	/* stdout keeps using its buffer until exit: it stays allocated. */
	if (!out->is_stdout)
		free(out->iobuf);
	free(out);
	return rc;
}
