/*
 * cli_conf: almanac's options (command line and -c FILE, one pd_cfg
 * table), their validation, and the API key.
 *
 * Precedence: built-in defaults, then $ALMANAC_SERVER (as the default of
 * --server), then the -c file, then the command line. Options may come
 * before or after the command words ("almanac rrset example.com --json");
 * "--" ends the options.
 */
#ifndef AGG_CLI_CONF_H
#define AGG_CLI_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "cli_out.h"
#include "pd_cfg.h"

#define CLI_DEFAULT_SERVER "http://localhost:8053"

struct cli_conf {
	char *server, *server_name, *api_key_file, *cacert, *cert, *key;
	char *after, *before, *site, *type;
	uint64_t timeout_s, connect_timeout_s, max_response, limit, offset;
	int strict, all, no_federate, json, csv, table;
	int check_only, help, version;
	char **argv; /* the reordered command line (owned) */
};

extern const struct pd_cfg_opt cli_opts[];

/*
 * Loads c from argc/argv (env_server: $ALMANAC_SERVER or NULL). On
 * success *args and *nargs are the positional arguments (the command).
 * Returns 0, or PD_EUSAGE / PD_ECONFIG with a message in err. Free c with
 * cli_conf_free in every case.
 */
int cli_conf_load(struct cli_conf *c, int argc, char **argv, const char *env_server,
                  char ***args, int *nargs, char *err, size_t errlen);
void cli_conf_free(struct cli_conf *c);

/*
 * Writes argv reordered into out (argc + 1 slots): argv[0], the options
 * with their values, "--", then the positional arguments in their order.
 * Which options take a value comes from opts (and -c/--config). Returns
 * the new count.
 */
int cli_args_permute(const struct pd_cfg_opt *opts, int argc, char **argv, char **out);

/* --json, --csv, --table, else the table on a terminal, JSON lines not. */
enum cli_fmt cli_conf_format(const struct cli_conf *c, int stdout_is_tty);

/*
 * The API key: the first line of --api-key-file (mode 0600), else
 * env_key ($ALMANAC_API_KEY), else none (*key = NULL). Keys are printable
 * ASCII without spaces. Returns 0 or PD_ECONFIG with a message; free *key
 * with free().
 */
int cli_conf_api_key(const struct cli_conf *c, const char *env_key, char **key, char *err,
                     size_t errlen);

#endif
