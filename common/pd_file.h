/*
 * pd_file: whole small files into memory (certificates, keys, CRLs,
 * registries), with a size cap, a trailing NUL (PEM parsers want text) and,
 * for secrets, the check that only the owner may read them (STYLE.md).
 */
#ifndef PD_FILE_H
#define PD_FILE_H

#include <stddef.h>

/*
 * Reads path (a regular file of 1..max bytes) into a malloc'd buffer with
 * a NUL after the data. With secret, refuses a file that group or others
 * may access. Returns 0, or a negative code with a message naming the file
 * (prefixed by what, e.g. "tls: key") in err. Free secrets with
 * pd_file_free_secret (wipes them).
 */
int pd_file_read(const char *what, const char *path, size_t max, int secret, char **data,
                 size_t *len, char *err, size_t errlen);
void pd_file_free_secret(char *data, size_t len);

/* lchown of path and, for directories, what is below it down to depth
 * levels (state directories and stores are shallow); symbolic links are
 * not followed. 0 or -1 with errno. */
int pd_file_chown_tree(const char *path, unsigned uid, unsigned gid, int depth);

#endif
