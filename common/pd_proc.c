#define _GNU_SOURCE /* setresuid, setresgid */
#include "pd_proc.h"

#include <errno.h>
#include <pthread.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pd_err.h"

static struct pd_sigflags *pd_flags;
static pthread_t pd_stop_thread;
static volatile sig_atomic_t pd_have_stop_thread;

static void pd_on_signal(int sig)
{
	if (!pd_flags)
		return;
	if (sig == SIGTERM || sig == SIGINT) {
		pd_flags->stop = 1;
		/* Delivered to another thread: pass it on, so that the reader's
		 * blocking read() is interrupted too (pthread_kill is
		 * async-signal-safe; it runs this handler again over there). */
		if (pd_have_stop_thread && !pthread_equal(pthread_self(), pd_stop_thread)) {
			int saved = errno;
			pthread_kill(pd_stop_thread, sig);
			errno = saved;
		}
	}
	else if (sig == SIGUSR1)
		pd_flags->report = 1;
	else if (sig == SIGHUP)
		pd_flags->reload = 1;
}

int pd_proc_signals(struct pd_sigflags *f)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pd_on_signal;
	sigemptyset(&sa.sa_mask);
	pd_flags = f;
	/* Stop signals interrupt blocking calls so the program notices them;
	 * report and reload let interrupted reads carry on (SA_RESTART). */
	int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sa.sa_flags = sigs[i] == SIGUSR1 || sigs[i] == SIGHUP ? SA_RESTART : 0;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void pd_proc_signals_to_this_thread(void)
{
	pd_stop_thread = pthread_self();
	pd_have_stop_thread = 1;
}

/* Clears the ambient, inheritable, permitted and effective sets. Returns
 * 1 when some capability was held, 0 when none, or a negative code. */
static int drop_capabilities(const char **why)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0) {
		*why = "capget";
		return -errno;
	}
	int held = 0;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		held |= d[i].permitted || d[i].inheritable;
	if (!held)
		return 0; /* nor ambient ones: those are permitted and inheritable */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		*why = "clearing ambient capabilities";
		return -errno;
	}
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0) {
		*why = "capset";
		return -errno;
	}
	return 1;
}

int pd_proc_drop_privileges(const char *user, const char **why)
{
	if (geteuid() != 0)
		return drop_capabilities(why);
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		*why = "no such user";
		return errno ? -errno : PD_ENOTFOUND;
	}
	if (pw->pw_uid == 0) {
		*why = "user is root";
		return PD_ECONFIG;
	}
	gid_t gid = pw->pw_gid;
	uid_t uid = pw->pw_uid;
	if (setgroups(1, &gid) < 0) {
		*why = "setgroups";
		return -errno;
	}
	if (setresgid(gid, gid, gid) < 0) {
		*why = "setresgid";
		return -errno;
	}
	if (setresuid(uid, uid, uid) < 0) {
		*why = "setresuid";
		return -errno;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		*why = "root could be regained";
		return PD_EAUTH;
	}
	return 0;
}

uint64_t pd_random_u64(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
		return v;
	return (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)(unsigned)getpid();
}

void pd_proc_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

uint64_t pd_proc_raise_nofile(uint64_t *was)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0) {
		*was = 0;
		return 0;
	}
	*was = r.rlim_cur;
	rlim_t want = r.rlim_max == RLIM_INFINITY || r.rlim_max > (1u << 20) ? (1u << 20)
	                                                                      : r.rlim_max;
	if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
		r.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &r) != 0)
			return *was;
	}
	return r.rlim_cur;
}
