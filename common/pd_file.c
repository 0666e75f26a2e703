#include "pd_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_err.h"

int pd_file_read(const char *what, const char *path, size_t max, int secret, char **data,
                 size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > max) {
		rc = PD_ECONFIG;
		snprintf(err, errlen, "%s %s: not a regular file of 1..%zu bytes", what, path, max);
	} else if (secret && (st.st_mode & 077)) {
		/* Checked on the open descriptor: no window for a swap. */
		rc = PD_ECONFIG;
		snprintf(err, errlen, "%s %s is accessible by group or others (mode %04o); it must "
		         "not be (chmod 600 %s)", what, path, (unsigned)(st.st_mode & 07777), path);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	size_t n = (size_t)st.st_size;
	char *buf = malloc(n + 1);
	ssize_t got = buf ? read(fd, buf, n) : -1;
	close(fd);
	if (!buf || got != (ssize_t)n) {
		snprintf(err, errlen, "%s %s: cannot read it", what, path);
		if (buf && secret)
			pd_file_free_secret(buf, n);
		else
			free(buf);
		return buf ? PD_ECONFIG : -ENOMEM;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

void pd_file_free_secret(char *data, size_t len)
{
	if (!data)
		return;
	/* A volatile pointer keeps the wipe from being optimised away. */
	volatile char *p = data;
	for (size_t i = 0; i <= len; i++)
		p[i] = 0;
	free(data);
}

int pd_file_chown_tree(const char *path, unsigned uid, unsigned gid, int depth)
{
	struct stat st;
	if (lstat(path, &st) < 0 || lchown(path, (uid_t)uid, (gid_t)gid) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || depth == 0)
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && rc == 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc = pd_file_chown_tree(sub, uid, gid, depth - 1);
	}
	closedir(d);
	return rc;
}
