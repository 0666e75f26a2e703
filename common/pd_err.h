/*
 * pd_err: Almanac's error codes.
 *
 * Functions return 0 on success and a negative code on failure: -errno for
 * system errors, or one of the PD_E* codes below (from -1000, so they never
 * collide with errno values). pd_strerror() turns either kind into text.
 */
#ifndef PD_ERR_H
#define PD_ERR_H

enum {
	PD_EMALF = -1000,  /* malformed input */
	PD_ELIMIT = -1001, /* a cap or budget was exceeded */
	PD_ETRUNC = -1002, /* input ends before the structure does */
	PD_ELOOP = -1003,  /* compression pointer loop */
	PD_ENAME = -1004,  /* name longer than 255 octets */
	PD_ELABEL = -1005, /* label longer than 63 octets or bad label type */
	PD_ESPACE = -1006, /* output buffer too small */
	PD_ECONFIG = -1007,
	PD_EAUTH = -1008,  /* authentication or verification failed */
	PD_ESTORE = -1009, /* storage engine error */
	PD_EPROTO = -1010, /* protocol violation by a peer */
	PD_EVERSION = -1011,
	PD_ENOTFOUND = -1012,
	PD_EBUSY = -1013,
	PD_ETIMEOUT = -1014,
	PD_ECRYPTO = -1015,
	PD_ENET = -1016,   /* transport (NNG) error */
	PD_EUSAGE = -1017,
	PD_EDUP = -1018,   /* duplicate (already applied) */
	PD_ESTALE = -1019,
};

/* Text for any code: PD_E*, -errno, or 0 ("success"). Never NULL. */
const char *pd_strerror(int code);

#endif
