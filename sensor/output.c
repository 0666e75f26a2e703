#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pd_buf.h"
#include "pd_cof.h"

/* Lines collect in one buffer and leave in large writes. */
#define OUTPUT_CHUNK (256u * 1024u)
#define OUTPUT_LINE_MAX (64u << 20)

struct output {
	int fd;
	int owns_fd;
	int err;
	struct pd_buf pending;
	struct pd_buf tail; /* ,"sensor_id":"..."}\n, escaped once */
};

struct output *output_open(const char *path, const char *sensor_id)
{
	struct output *out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	if (strcmp(path, "-") == 0) {
		out->fd = STDOUT_FILENO;
	} else {
		out->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		out->owns_fd = 1;
		if (out->fd < 0) {
			int e = errno;
			free(out);
			errno = e;
			return NULL;
		}
	}
	pd_buf_init(&out->pending, OUTPUT_CHUNK + OUTPUT_LINE_MAX);
	pd_buf_init(&out->tail, 4096);
	if (pd_cof_str_field(&out->tail, "sensor_id", sensor_id) < 0 ||
	    pd_buf_add(&out->tail, "}\n", 2) < 0) {
		output_close(out);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return out;
}

static int output_write_all(struct output *out)
{
	size_t off = 0;
	while (off < out->pending.len) {
		ssize_t n = write(out->fd, out->pending.data + off, out->pending.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!out->err)
				out->err = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	pd_buf_reset(&out->pending);
	return out->err;
}

void output_obs(void *ctx, const struct pd_obs *o)
{
	struct output *out = ctx;
	size_t mark = out->pending.len;
	if (pd_cof_begin(&out->pending, o, 0) < 0 ||
	    pd_buf_add(&out->pending, out->tail.data, out->tail.len) < 0) {
		out->pending.len = mark;
		if (!out->err)
			out->err = -ENOMEM;
		return;
	}
	if (out->pending.len >= OUTPUT_CHUNK)
		output_write_all(out);
}

int output_flush(struct output *out)
{
	return output_write_all(out);
}

int output_error(const struct output *out)
{
	return out->err;
}

int output_close(struct output *out)
{
	if (!out)
		return 0;
	int rc = output_write_all(out);
	if (out->owns_fd && close(out->fd) < 0 && !rc)
		rc = -errno;
	pd_buf_fini(&out->pending);
	pd_buf_fini(&out->tail);
	free(out);
	return rc;
}
