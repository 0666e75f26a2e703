/*
 * pd_log: the one logging module.
 *
 * Lines go to stderr as "<prog>: <message>" (systemd's journal adds the
 * time). log_warn appends the text of errno; log_warnx does not. Level checks
 * happen in the macros, so disabled debug lines cost one comparison.
 * The log state is the only mutable global besides signal flags; set it once
 * at start-up with pd_log_init() before threads start.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

enum pd_log_level { PD_LOG_ERR, PD_LOG_WARN, PD_LOG_INFO, PD_LOG_DEBUG };

extern int pd_log_level;

void pd_log_init(const char *prog, int level);
/* "error", "warning", "info" or "debug" as a level; -1 for anything else. */
int pd_log_level_parse(const char *name);
void pd_log_write(int level, int with_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
_Noreturn void pd_log_fatal(int with_errno, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_warn(...) \
	do { if (pd_log_level >= PD_LOG_WARN) pd_log_write(PD_LOG_WARN, 1, __VA_ARGS__); } while (0)
#define log_warnx(...) \
	do { if (pd_log_level >= PD_LOG_WARN) pd_log_write(PD_LOG_WARN, 0, __VA_ARGS__); } while (0)
#define log_info(...) \
	do { if (pd_log_level >= PD_LOG_INFO) pd_log_write(PD_LOG_INFO, 0, __VA_ARGS__); } while (0)
#define log_debug(...) \
	do { if (pd_log_level >= PD_LOG_DEBUG) pd_log_write(PD_LOG_DEBUG, 0, __VA_ARGS__); } while (0)
#define fatal(...) pd_log_fatal(1, __VA_ARGS__)
#define fatalx(...) pd_log_fatal(0, __VA_ARGS__)

#endif
