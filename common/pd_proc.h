/*
 * pd_proc: process plumbing: dropping root, signal flags, randomness.
 */
#ifndef PD_PROC_H
#define PD_PROC_H

#include <signal.h>
#include <stdint.h>

/* Flags set by the signal handlers installed with pd_proc_signals(). */
struct pd_sigflags {
	volatile sig_atomic_t stop;   /* SIGTERM, SIGINT */
	volatile sig_atomic_t report; /* SIGUSR1 */
	volatile sig_atomic_t reload; /* SIGHUP */
};

/* Installs handlers that only set flags in f (one process-wide instance). */
int pd_proc_signals(struct pd_sigflags *f);

/*
 * Makes SIGTERM and SIGINT reach the calling thread whichever thread the
 * kernel delivers them to (the others forward them with pthread_kill), so
 * that its blocking reads (a pipe, stdin) are interrupted: the capture
 * thread calls this.
 */
void pd_proc_signals_to_this_thread(void);

/*
 * When running as root, switches to user (and its primary group, with no
 * supplementary groups) for good and checks root cannot be regained (which
 * also leaves no capability). When not root, gives up the capabilities the
 * process was started with (systemd's AmbientCapabilities=, file
 * capabilities): they were for opening what is open now. Returns 0, 1
 * when not root and some capability was given up, or a negative code;
 * *why names the failing step.
 */
int pd_proc_drop_privileges(const char *user, const char **why);

/*
 * Tells systemd (Type=notify) the service is ready, or sends another
 * state line ("STOPPING=1"), when $NOTIFY_SOCKET is set; a no-op otherwise.
 */
void pd_proc_notify(const char *state);

/*
 * Raises the soft limit on open files to the hard one (at most 1 << 20) and
 * returns the limit now in force; *was gets the soft limit before. A
 * program with many files (LevelDB sizes its own use of descriptors from
 * this limit when it opens) calls it before opening them.
 */
uint64_t pd_proc_raise_nofile(uint64_t *was);

/* 64 random bits from the kernel (getrandom); falls back to time and pid. */
uint64_t pd_random_u64(void);

#endif
