#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsobs.h"
#include "pd_err.h"
#include "pd_log.h"
#include "pd_tls.h"

#define OFF(f) offsetof(struct sensor_conf, f)
#define KiB 1024ull
#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

const struct pd_cfg_opt sensor_opts[] = {
	{ "read", 'r', "capture", PD_CFG_STR, OFF(read_file), 0, 0, NULL, "FILE",
	  "read a pcap or pcapng file (- for stdin); replaces a configured interface" },
	{ "interface", 'i', "capture", PD_CFG_STR, OFF(iface), 0, 0, NULL, "IFACE",
	  "capture live on an interface; replaces a configured file" },
	{ "filter", 0, "capture", PD_CFG_STR, OFF(filter), 0, 0, NULL, "BPF",
	  "capture filter (live default: DNS ports and IP fragments)" },
	{ "ports", 0, "capture", PD_CFG_STR, OFF(ports_text), 0, 0, "53", "LIST",
	  "DNS ports, comma-separated" },
	{ "promisc", 0, "capture", PD_CFG_BOOL, OFF(promisc), 0, 0, "no", NULL,
	  "put the interface in promiscuous mode" },
	{ "fast-reader", 0, "capture", PD_CFG_BOOL, OFF(fast_reader), 0, 0, "yes", NULL,
	  "read classic pcap files with the sensor's own reader (=no: libpcap)" },
	{ "buffer-size", 0, "capture", PD_CFG_SIZE, OFF(buffer_bytes), 64 * KiB, 2 * GiB, "16M",
	  "SIZE", "kernel capture buffer" },
	{ "user", 0, "capture", PD_CFG_STR, OFF(user), 0, 0, "nobody", "USER",
	  "user to switch to after opening the capture (when started as root)" },
	{ "sections", 0, "decode", PD_CFG_STR, OFF(sections_text), 0, 0, "answer", "LIST",
	  "sections to record: answer,authority,additional" },
	{ "frag-datagrams", 0, "decode", PD_CFG_UINT, OFF(frag_datagrams), 1, 1000000, "1024", "N",
	  "pending fragmented datagrams at most" },
	{ "frag-memory", 0, "decode", PD_CFG_SIZE, OFF(frag_bytes), 64 * KiB, 4 * GiB, "8M", "SIZE",
	  "memory for fragment reassembly" },
	{ "tcp-streams", 0, "decode", PD_CFG_UINT, OFF(tcp_streams), 1, 10000000, "4096", "N",
	  "TCP streams tracked at most" },
	{ "tcp-memory", 0, "decode", PD_CFG_SIZE, OFF(tcp_bytes), 64 * KiB, 4 * GiB, "16M", "SIZE",
	  "memory for TCP reassembly" },
	{ "reasm-timeout", 0, "decode", PD_CFG_UINT, OFF(reasm_timeout_s), 1, 3600, "30", "SECONDS",
	  "drop unfinished fragments and idle TCP streams after this" },
	{ "flush-interval", 0, "fold", PD_CFG_UINT, OFF(flush_interval_s), 1, 86400, "60", "SECONDS",
	  "fold window (packet time for files, wall clock live)" },
	{ "max-tuples", 0, "fold", PD_CFG_UINT, OFF(max_tuples), 16, 100000000, "262144", "N",
	  "distinct tuples per window before an early flush" },
	{ "fold-memory", 0, "fold", PD_CFG_SIZE, OFF(fold_bytes), 1 * MiB, 64 * GiB, "32M", "SIZE",
	  "memory for a window's tuples before an early flush" },
	{ "output", 'o', "output", PD_CFG_STR, OFF(output), 0, 0, NULL, "FILE",
	  "write COF JSON lines to FILE (- for stdout)" },
	{ "aggregator", 0, "ship", PD_CFG_STR, OFF(aggregator), 0, 0, NULL, "URL",
	  "ship observations to tls+tcp://HOST:PORT" },
	{ "ca", 0, "ship", PD_CFG_STR, OFF(ca), 0, 0, NULL, "FILE", "the deployment's CA (PEM)" },
	{ "cert", 0, "ship", PD_CFG_STR, OFF(cert), 0, 0, NULL, "FILE",
	  "this sensor's certificate (PEM; CN = sensor id, OU = site)" },
	{ "key", 0, "ship", PD_CFG_STR, OFF(key), 0, 0, NULL, "FILE",
	  "this sensor's key (PEM, mode 0600)" },
	{ "tls-server-name", 0, "ship", PD_CFG_STR, OFF(server_name), 0, 0, NULL, "NAME",
	  "name in the aggregator's certificate (default: the URL's host)" },
	{ "state-dir", 0, "ship", PD_CFG_STR, OFF(state_dir), 0, 0, NULL, "DIR",
	  "stream id, sequence numbers and the spool" },
	{ "spool-max-bytes", 0, "ship", PD_CFG_SIZE, OFF(spool_max_bytes), 64 * KiB, 1024 * GiB,
	  "1G", "SIZE", "spool cap; the oldest batches are dropped (and counted) beyond it" },
	{ "batch-size", 0, "ship", PD_CFG_UINT, OFF(batch_obs), 1, 200000, "20000", "N",
	  "observations per batch at most" },
	{ "batch-bytes", 0, "ship", PD_CFG_SIZE, OFF(batch_bytes), 4 * KiB, 48 * MiB, "4M", "SIZE",
	  "encoded bytes per batch at most" },
	{ "inflight", 0, "ship", PD_CFG_UINT, OFF(inflight), 1, 64, "4", "N",
	  "batches sent before their acks return" },
	{ "reply-timeout", 0, "ship", PD_CFG_UINT, OFF(reply_timeout_s), 1, 3600, "60", "SECONDS",
	  "send a batch again when its ack takes longer" },
	{ "drain-timeout", 0, "ship", PD_CFG_UINT, OFF(drain_timeout_s), 0, 31 * 86400, "300",
	  "SECONDS", "with -r: how long to wait for the aggregator to ack everything" },
	{ "heartbeat-interval", 0, "ship", PD_CFG_UINT, OFF(heartbeat_interval_s), 0, 86400, "30",
	  "SECONDS", "tell the aggregator this sensor is alive when idle this long (0: never)" },
	{ "sensor-id", 0, "sensor", PD_CFG_STR, OFF(sensor_id), 0, 0, NULL, "ID",
	  "sensor id in COF output (default: host name)" },
	{ "log-level", 0, "sensor", PD_CFG_STR, OFF(log_level), 0, 0, "info", "LEVEL",
	  "error, warning, info or debug" },
	{ "check", 'n', NULL, PD_CFG_BOOL, OFF(check_only), 0, 0, NULL, NULL,
	  "check the configuration and exit" },
	{ "help", 'h', NULL, PD_CFG_BOOL, OFF(help), 0, 0, NULL, NULL, "show this help" },
	{ "version", 0, NULL, PD_CFG_BOOL, OFF(version), 0, 0, NULL, NULL, "show the version" },
	PD_CFG_END
};

static int conf_ports(struct sensor_conf *c, char *err, size_t errlen)
{
	const char *p = c->ports_text;
	c->nports = 0;
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v == 0 || v > 65535 || (*end && *end != ',')) {
			snprintf(err, errlen, "ports: '%s' is not a comma-separated list of ports",
			         c->ports_text);
			return PD_ECONFIG;
		}
		if (c->nports == SENSOR_MAX_PORTS) {
			snprintf(err, errlen, "ports: at most %d ports", SENSOR_MAX_PORTS);
			return PD_ECONFIG;
		}
		c->ports[c->nports++] = (uint16_t)v;
		p = *end ? end + 1 : end;
	}
	if (c->nports == 0) {
		snprintf(err, errlen, "ports: no port given");
		return PD_ECONFIG;
	}
	return 0;
}

static int conf_ship(struct sensor_conf *c, char *err, size_t errlen)
{
	const char *missing = !c->ca ? "--ca FILE" : !c->cert ? "--cert FILE"
	                    : !c->key ? "--key FILE" : !c->state_dir ? "--state-dir DIR" : NULL;
	if (missing) {
		snprintf(err, errlen, "shipping to an aggregator needs %s", missing);
		return PD_EUSAGE;
	}
	if (strncmp(c->aggregator, "tls+tcp://", 10) != 0) {
		snprintf(err, errlen, "aggregator: '%s' is not a tls+tcp://HOST:PORT URL",
		         c->aggregator);
		return PD_ECONFIG;
	}
	if (!c->server_name) {
		char host[256];
		if (pd_tls_server_name(c->aggregator, host, sizeof(host)) < 0) {
			snprintf(err, errlen, "aggregator: %s names no DNS host; the aggregator's "
			         "certificate can only be checked against a name: dial its name or set "
			         "tls-server-name", c->aggregator);
			return PD_ECONFIG;
		}
		c->server_name = strdup(host);
		if (!c->server_name)
			return -12;
	}
	return 0;
}

static int conf_validate(struct sensor_conf *c, char *err, size_t errlen)
{
	int rc;
	if (!!c->read_file == !!c->iface) {
		snprintf(err, errlen, "give exactly one of -r FILE or -i IFACE");
		return PD_EUSAGE;
	}
	if (!c->output && !c->aggregator) {
		snprintf(err, errlen, "nothing to do with observations: give -o FILE (or -o -) "
		         "or --aggregator URL");
		return PD_EUSAGE;
	}
	if (c->aggregator && (rc = conf_ship(c, err, errlen)) < 0)
		return rc;
	if (conf_ports(c, err, errlen) < 0)
		return PD_ECONFIG;
	if (dnsobs_parse_sections(c->sections_text, &c->sections) < 0) {
		snprintf(err, errlen, "sections: '%s' is not a list of answer, authority, additional",
		         c->sections_text);
		return PD_ECONFIG;
	}
	if (pd_log_level_parse(c->log_level) < 0) {
		snprintf(err, errlen, "log-level: '%s' is not error, warning, info or debug",
		         c->log_level);
		return PD_ECONFIG;
	}
	if (!c->sensor_id) {
		if (gethostname(c->hostname, sizeof(c->hostname) - 1) < 0)
			snprintf(c->hostname, sizeof(c->hostname), "sensor");
		c->sensor_id = strdup(c->hostname);
		if (!c->sensor_id)
			return PD_ECONFIG;
	}
	return 0;
}

int sensor_conf_load(struct sensor_conf *c, int argc, char **argv, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	int rc = pd_cfg_load(sensor_opts, c, argc, argv, NULL, err, errlen);
	if (rc < 0)
		return rc;
	if (c->help || c->version)
		return 0;
	/* A capture source on the command line replaces the file's. */
	int cli_r = pd_cfg_on_cli(sensor_opts, "read", argc, argv);
	int cli_i = pd_cfg_on_cli(sensor_opts, "interface", argc, argv);
	if (cli_r != cli_i) {
		char **drop = cli_r ? &c->iface : &c->read_file;
		free(*drop);
		*drop = NULL;
	}
	return conf_validate(c, err, errlen);
}

void sensor_conf_free(struct sensor_conf *c)
{
	pd_cfg_free(sensor_opts, c);
}
