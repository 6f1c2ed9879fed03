# proclens: plain Makefile.
#   make                 build everything (build/)
#   make check           unit tests; as root also the integration tests on this machine
#                        and, when V2=1 (default as root), on cgroup v2 in ../shared/v2vm
#   make check-unit      unit tests only (no root)
#   make check-root      integration tests on this machine (root)
#   make check-v2        integration tests on a cgroup v2 kernel (root, qemu)
#   make check-san       the unit tests under ASan+UBSan (build-san/; also part of check)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench           benchmarks (root), see bench/README.md

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DPROCLENS_VERSION='"$(VERSION)"' -Iinclude
FUSE_CFLAGS := $(shell $(PKG_CONFIG) --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell $(PKG_CONFIG) --libs fuse3 2>/dev/null)
CAP_LIBS := $(shell $(PKG_CONFIG) --libs libcap 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARN) $(SANFLAGS) -pthread $(FUSE_CFLAGS) -MMD -MP
# --as-needed: a binary records only the libraries it calls (the launcher never loads
# libfuse3; every container start would pay for it).
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread -Wl,--as-needed

LIB_SRC := $(sort $(wildcard lib/*.c))
FS_SRC := $(sort $(wildcard fs/*.c))
LAUNCHER_SRC := $(sort $(wildcard launcher/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
FS_OBJ := $(FS_SRC:%.c=$(BUILD)/%.o)
LAUNCHER_OBJ := $(LAUNCHER_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

LIBPROCLENS := $(BUILD)/libproclens.a
# fs/ and launcher/ objects other than main.o are linked into the tests and the launcher,
# so the launcher's "show" and the daemon share one implementation (and the tests reach the
# protocol codec, fuse_proto.c). The serving threads stay out of the launcher, and libfuse3
# (the daemon mounts with it) too: every container start would pay for loading it.
FS_CORE_OBJ := $(filter-out $(BUILD)/fs/main.o $(BUILD)/fs/keeper.o $(BUILD)/fs/fuse_serve.o $(BUILD)/fs/fuse_uring.o,$(FS_OBJ))
LAUNCHER_CORE_OBJ := $(filter-out $(BUILD)/launcher/main.o,$(LAUNCHER_OBJ))
LIBS := $(FUSE_LIBS) $(CAP_LIBS) -lm
# The launcher is linked statically (glibc's and libcap's archives, from libc6-dev and
# libcap-dev): every container start pays for loading it, and dynamic loading and
# relocation were ~0.15 ms of a ~3 ms start (bench/LAUNCH.md). STATIC=0 links it
# dynamically; the sanitizers need that.
ifeq ($(SAN),1)
STATIC ?= 0
else
STATIC ?= 1
endif
LAUNCHER_LDFLAGS := $(if $(filter 1,$(STATIC)),-static)
LAUNCHER_LIBS := $(CAP_LIBS) -lm

PROGRAMS := $(BUILD)/proclensfs $(if $(LAUNCHER_SRC),$(BUILD)/proclens)

.PHONY: all check check-unit check-san check-root check-v2 bench install uninstall clean format
all: $(PROGRAMS) $(UNIT_BIN) $(BENCH_BIN) $(HELPER_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBPROCLENS): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/proclensfs: $(FS_OBJ) $(LIBPROCLENS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/proclens: $(LAUNCHER_OBJ) $(FS_CORE_OBJ) $(LIBPROCLENS)
	$(CC) $(ALL_LDFLAGS) $(LAUNCHER_LDFLAGS) -o $@ $^ $(LAUNCHER_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(FS_CORE_OBJ) $(LAUNCHER_CORE_OBJ) $(LIBPROCLENS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

$(BUILD)/bench/%: bench/%.c $(LIBPROCLENS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBPROCLENS) $(LIBS)

check-unit: $(UNIT_BIN)
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_BIN)

# The unit tests again under ASan+UBSan, in their own build directory.
check-san:
	$(MAKE) SAN=1 BUILD=$(BUILD)-san check-unit

check-root: $(PROGRAMS) $(HELPER_BIN)
	BUILD=$(BUILD) tests/run-integration.sh

check-v2: $(PROGRAMS) $(HELPER_BIN)
	BUILD=$(BUILD) tests/run-v2vm.sh

# Every suite runs, one after another (they share the machine's cgroups), and check fails
# at the end if any failed.
ifeq ($(shell id -u),0)
V2 ?= 1
CHECK_SUITES := check-unit check-san check-root $(if $(filter 1,$(V2)),check-v2)
else
CHECK_SUITES := check-unit check-san
endif
check: all
	@rc=0; : >$(BUILD)/check.log; \
	for s in $(CHECK_SUITES); do \
		{ $(MAKE) --no-print-directory $$s || echo "$$s: 0 passed, 1 failed"; } 2>&1 | tee -a $(BUILD)/check.log; \
	done; \
	awk '/^(unit|integration|check-[a-z0-9]+): [0-9]+ passed, [0-9]+ failed$$/ { p += $$2; f += $$4 } \
		END { printf "total: %d passed, %d failed\n", p, f; exit f > 0 }' $(BUILD)/check.log

bench: all
	BUILD=$(BUILD) bench/run.sh

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/proclensfs $(DESTDIR)$(PREFIX)/bin/proclensfs
	$(if $(LAUNCHER_SRC),install -m 0755 $(BUILD)/proclens $(DESTDIR)$(PREFIX)/bin/proclens)
	for m in docs/*.8; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man8/ || true; done
	for m in docs/*.1; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/proclensfs $(DESTDIR)$(PREFIX)/bin/proclens

format:
	clang-format -i $(LIB_SRC) $(FS_SRC) $(LAUNCHER_SRC) $(UNIT_SRC) $(BENCH_SRC) include/proclens/*.h

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
