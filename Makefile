# Almanac: one Makefile for everything.
#   make            build build/almanac-sensor (and the other programs)
#   make test       install missing packages, build, run unit tests under
#                   ASan/UBSan, fuzz-corpus replay and integration tests
#   make bench      benchmarks (figures on stdout)
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make demo       the two-minute tour
#   make install    PREFIX=/usr/local DESTDIR=
# Variables: SAN=address,undefined builds into build/san; WERROR=0 relaxes;
# V=1 shows the commands.

CC      ?= cc
PREFIX  ?= /usr/local
WERROR  ?= 1
SAN     ?=
ifeq ($(SAN),)
BUILD   ?= build
OPT     ?= -O2
else
BUILD   ?= build/san
OPT     ?= -O1
endif

WARN    = -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
          -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef -Wvla
ifeq ($(WERROR),1)
WARN   += -Werror
endif
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) \
          -Icommon -MMD -MP -fno-strict-aliasing
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN   = -fsanitize=$(SAN)
endif
LIBS_SENSOR = -lpcap -lnng -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
LIBS_AGG    = -lnng -lleveldb -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
LIBS_ALL    = -lpcap -lnng -lleveldb -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
PYTHON  = /usr/bin/python3

COMMON_SRC := $(wildcard common/*.c)
SENSOR_SRC := $(filter-out sensor/main.c,$(wildcard sensor/*.c))
AGG_SRC    := $(filter-out aggregator/main.c aggregator/almanac.c,$(wildcard aggregator/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)

COMMON_LIB := $(BUILD)/libpdcommon.a
SENSOR_LIB := $(BUILD)/libsensor.a
AGG_LIB    := $(BUILD)/libagg.a
PROGS      := $(BUILD)/almanac-sensor $(BUILD)/almanac-aggregator $(BUILD)/almanac
TOOLS      := $(BUILD)/tools/batchsend $(BUILD)/tools/httpd_demo
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
REPLAY_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)

.PHONY: all test unit integration fuzz-replay fuzz bench demo install clean deps-build deps-test
.DEFAULT_GOAL := all

all: $(PROGS) $(TOOLS)

# Only tests reach into program folders; common/ never includes them.
$(BUILD)/obj/tests/%.o: ALL_CFLAGS += -Isensor -Iaggregator

ifeq ($(V),1)
Q =
else
Q = @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $(BUILD)/$<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(COMMON_LIB): $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(SENSOR_LIB): $(SENSOR_SRC:%.c=$(BUILD)/obj/%.o)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(AGG_LIB): $(AGG_SRC:%.c=$(BUILD)/obj/%.o)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/almanac-sensor: $(BUILD)/obj/sensor/main.o $(SENSOR_LIB) $(COMMON_LIB)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_SENSOR)

$(BUILD)/almanac-aggregator: $(BUILD)/obj/aggregator/main.o $(AGG_LIB) $(COMMON_LIB)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_AGG)

# The analyst's client: aggregator/almanac.c and the cli_*.c modules in libagg.a.
$(BUILD)/almanac: $(BUILD)/obj/aggregator/almanac.o $(AGG_LIB) $(COMMON_LIB)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_AGG)

# Test tools: programs the integration tests drive.
# httpd_demo: the HTTP transport alone, with an echo handler (test_httpd.py).
$(BUILD)/tools/httpd_demo: $(BUILD)/obj/tests/tools/httpd_demo.o $(AGG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

# Unit tests link every program library: each test only pulls what it uses.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SENSOR_LIB) $(AGG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS_ALL)

# Fuzz targets with a replay main(): run their corpora inside make test.
$(BUILD)/replay/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay/replay_main.o $(SENSOR_LIB) $(AGG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

deps-build:
	@sh mk/deps.sh build
deps-test:
	@sh mk/deps.sh test

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(REPLAY_BINS); do n=$$(basename $$t); \
		echo "== $$n corpus"; $$t tests/fuzz/corpus/$${n#fuzz_}; done

integration:
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration $(PYTEST_ARGS)

test: deps-test
	$(MAKE) all
	$(MAKE) SAN=address,undefined all unit fuzz-replay
	ALMANAC_BIN=$(CURDIR)/build/san $(MAKE) integration

FUZZ_SECONDS ?= 60
fuzz: deps-test
	$(MAKE) CC=clang SAN=fuzzer-no-link,address,undefined BUILD=build/fuzz \
		$(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/obj/tests/fuzz/%.o) \
		build/fuzz/libsensor.a build/fuzz/libagg.a build/fuzz/libpdcommon.a
	@set -e; for f in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
		clang -fsanitize=fuzzer,address,undefined -o build/fuzz/$$f \
			build/fuzz/obj/tests/fuzz/$$f.o build/fuzz/libsensor.a build/fuzz/libagg.a \
			build/fuzz/libpdcommon.a $(LIBS_ALL); \
		mkdir -p build/fuzz/corpus/$${f#fuzz_}; \
		build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-rss_limit_mb=1024 build/fuzz/corpus/$${f#fuzz_} tests/fuzz/corpus/$${f#fuzz_}; \
	done

BENCH_BINS := $(BUILD)/bench/pcap_floor $(BUILD)/bench/ingest_bench $(BUILD)/bench/store_bench \
              $(BUILD)/bench/httpd_bench $(BUILD)/bench/query_bench

$(BUILD)/bench/pcap_floor: $(BUILD)/obj/tests/bench/pcap_floor.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lpcap

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(AGG_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(BUILD)/obj/tests/bench/%.o: ALL_CFLAGS += -Iaggregator

bench: all $(BENCH_BINS)
	@sh mk/deps.sh bench
	$(PYTHON) tests/bench/bench_sensor.py --build $(BUILD)
	$(PYTHON) tests/bench/bench_ingest.py --build $(BUILD)
	$(PYTHON) tests/bench/bench_query.py --build $(BUILD)

demo: deps-build all
	@sh mk/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
