# bimi-engine — a boring Makefile (STYLE.md §11).
#
#   make                 libbimi.a, build/bimi, build/bimi-fcgi
#   make check           build and run every test through prove (TAP)
#   make check SANITIZE=1  the same, built with ASan + UBSan
#   make fuzz            libFuzzer targets (clang) in build/fuzz/
#   make checksrc        refuse banned C calls and includes against the layer order
#   make run             the demo (see README)
#   make DEBUG=1         -O0 -g3
#   make install         PREFIX=/usr/local, DESTDIR=; programs, data, configuration, units, man pages
#
# Every dependency comes from pkg-config. Objects of each variant (release, debug,
# san, fuzz) live apart under build/obj/<variant>/, so switching never mixes them;
# the programs are then copied to their fixed paths build/bimi and build/bimi-fcgi.

VERSION := 0.1.0
PKGS := glib-2.0 gobject-2.0 gio-2.0 json-glib-1.0 openssl libcurl libxml-2.0 \
        librsvg-2.0 cairo libunbound libpsl libidn2 fcgi sqlite3 zlib hiredis \
        libarchive gmime-3.0 icu-uc icu-i18n

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(PKG_LIBS),)
# A fresh machine: install the Debian packages first, then run the same goal again.
.DEFAULT_GOAL := all
all check run fuzz bench checksrc:
	scripts/install-deps
	$(MAKE) $@
else

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wwrite-strings -Wundef -Wvla -Wcast-qual -Wold-style-definition \
        -Wno-unused-parameter -Werror
DEFS := -D_GNU_SOURCE -DBIMI_VERSION='"$(VERSION)"' \
        -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DG_LOG_DOMAIN='"bimi"'

ifeq ($(SANITIZE),thread)
# ThreadSanitizer (issue 8): objects apart in build/obj/tsan.
VARIANT := tsan
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDSAN := -fsanitize=thread
else ifdef SANITIZE
VARIANT := san
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else ifdef DEBUG
VARIANT := debug
OPT := -O0 -g3
else
VARIANT := release
OPT := -O2 -g -D_FORTIFY_SOURCE=2
endif

CC ?= cc
CFLAGS := -std=c11 $(OPT) -fstack-protector-strong -fPIC $(WARN) $(DEFS) -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(LDSAN) $(EXTRA_LDFLAGS)
LIBS := $(PKG_LIBS) -lm -lpthread

O := build/obj/$(VARIANT)

LIB_SRC := $(sort $(wildcard engine/base/*.c engine/*.c renderer/*.c cache/*.c report/*.c evaluate/*.c survey/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
FCGI_SRC := $(sort $(wildcard fcgi/*.c))
TEST_SRC := $(sort $(wildcard tests/test-*.c))
TEST_SUPPORT := $(sort $(filter-out tests/test-%,$(wildcard tests/*.c)) $(wildcard tests/lib/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz-*.c))

LIB := $(O)/libbimi.a
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
FCGI_OBJ := $(FCGI_SRC:%.c=$(O)/%.o)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(O)/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(O)/%)
# Every fuzz target is also linked with a plain main() that replays its seed
# corpus, so `make check` proves the targets build and the seeds stay clean.
FUZZ_REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(O)/fuzz-replay/%)

PROVE ?= prove

# Keep every object: the fuzz objects are intermediates of a pattern chain and
# would otherwise be deleted, forcing a full rebuild each time.
.SECONDARY:

.PHONY: all check unit-check fuzz fuzz-run checksrc bench run run-roundcube clean install-deps install uninstall man FORCE
all: build/bimi build/bimi-fcgi $(LIB)

# The variant stamp makes build/bimi follow the last variant built.
build/.variant: FORCE
	@mkdir -p build
	@echo $(VARIANT) | cmp -s - $@ || echo $(VARIANT) > $@

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/bimi: $(CLI_OBJ) $(LIB)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

# bimi-fcgi's allocator (issue 21): gperftools' tcmalloc (per-thread caches) instead of glibc's
# arenas: an evaluation makes ~470 allocations, and glibc's malloc/free (with its fastbin
# consolidation) were a quarter of the service's instructions per request. The sanitizer
# variants keep their own allocator.
# --no-as-needed: bimi-fcgi calls no malloc of its own (GLib does), yet the library must load.
comma := ,
FCGI_MALLOC := $(if $(LDSAN),,$(shell pkg-config --libs libtcmalloc_minimal 2>/dev/null))
FCGI_MALLOC_LINK := $(if $(FCGI_MALLOC),-Wl$(comma)--push-state$(comma)--no-as-needed $(FCGI_MALLOC) -Wl$(comma)--pop-state)
$(O)/bimi-fcgi: $(FCGI_OBJ) $(LIB)
	@$(if $(LDSAN)$(FCGI_MALLOC),:,echo "libtcmalloc_minimal not found (scripts/install-deps: libgoogle-perftools-dev)"; exit 1)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(FCGI_OBJ) $(LIB) $(LIBS) $(FCGI_MALLOC_LINK)

build/bimi: $(O)/bimi build/.variant
	cp $< $@

# The example configuration is generated from the key table in evaluate/config.c
# (tests/test-config.c fails when the committed file differs): after adding or
# changing a key, `make conf/bimi.conf.example` and commit the result.
.PHONY: conf/bimi.conf.example
conf/bimi.conf.example: build/bimi
	build/bimi config example > $@.tmp && mv $@.tmp $@
build/bimi-fcgi: $(O)/bimi-fcgi build/.variant
	cp $< $@

$(O)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(TEST_SUPPORT_OBJ) $(LIB) $(LIBS)

# fcgi/ helpers (everything but main.c) in their own archive, so that
# tests/test-fcgi-*.c and fuzz/fuzz-fcgi-*.c can link them (issue 9).
FCGI_LIB := $(O)/libbimi-fcgi.a
$(FCGI_LIB): $(filter-out $(O)/fcgi/main.o,$(FCGI_OBJ))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(O)/tests/test-fcgi-%: tests/test-fcgi-%.c $(TEST_SUPPORT_OBJ) $(FCGI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(TEST_SUPPORT_OBJ) $(FCGI_LIB) $(LIB) $(LIBS)
$(O)/fuzz-replay/fuzz-fcgi-%: fuzz/fuzz-fcgi-%.c fuzz/replay-main.c $(FCGI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< fuzz/replay-main.c $(FCGI_LIB) $(LIB) $(LIBS)

$(O)/fuzz-replay/%: fuzz/%.c fuzz/replay-main.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< fuzz/replay-main.c $(LIB) $(LIBS)

# Unit tests, suite runners and fuzz-seed replays, all TAP, all through prove.
check: install-deps all $(TEST_BIN) $(FUZZ_REPLAY_BIN) checksrc
	BIMI_BUILD=$(O) BIMI_UPSTREAM_DIR=$${BIMI_UPSTREAM_DIR:-$(CURDIR)/../shared/upstream} \
	  $(PROVE) --exec '' $(TEST_BIN) $(FUZZ_REPLAY_BIN) $(sort $(wildcard tests/*.t))
	$(CHECK_TSAN)

# ---- ThreadSanitizer and bench programs (issue 8) ---------------------------
# `make check SANITIZE=1` also builds the cache tests with SANITIZE=thread and
# runs them (single-flight under 32 threads). setarch -R: TSan's shadow memory
# needs the fixed layout that high mmap randomization breaks. G_SLICE=always-malloc:
# GLib's slice magazines hand memory between threads through locks TSan cannot see.
TSAN_TESTS := $(patsubst tests/%.c,build/obj/tsan/tests/%,$(sort $(wildcard tests/test-cache*.c)))
CHECK_TSAN := $(if $(filter san,$(VARIANT)),$(MAKE) --no-print-directory tsan-check)
.PHONY: tsan-check
tsan-check:
	$(MAKE) --no-print-directory SANITIZE=thread $(TSAN_TESTS)
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" G_SLICE=always-malloc BIMI_BUILD=build/obj/tsan \
	  BIMI_UPSTREAM_DIR=$${BIMI_UPSTREAM_DIR:-$(CURDIR)/../shared/upstream} \
	  $(PROVE) --exec 'setarch -R' $(TSAN_TESTS)

# Every bench/*.c becomes build/bench/<name>, linked like a test.
BENCH_BIN := $(patsubst bench/%.c,build/bench/%,$(sort $(wildcard bench/*.c)))
build/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)
bench: $(BENCH_BIN)

# libFuzzer builds: the library is compiled again with clang and coverage.
FUZZ_CC := clang
FUZZ_O := build/obj/fuzz
FUZZ_CFLAGS := -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
               $(WARN) $(DEFS) -I. $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_O)/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"; $(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# Static pattern rules (not implicit ones): make must never pick the generic
# rule for an fcgi target because fcgi/http.o is not built yet.
FUZZ_FCGI_BIN := $(filter build/fuzz/fuzz-fcgi-%,$(FUZZ_BIN))
$(filter-out $(FUZZ_FCGI_BIN),$(FUZZ_BIN)): build/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS)

# The fcgi fuzz targets need fcgi/http.c, compiled for fuzzing too.
$(FUZZ_FCGI_BIN): build/fuzz/fuzz-fcgi-%: fuzz/fuzz-fcgi-%.c $(FUZZ_LIB_OBJ) $(FUZZ_O)/fcgi/http.o
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_O)/fcgi/http.o $(FUZZ_LIB_OBJ) $(LIBS)

fuzz: $(FUZZ_BIN)

# make fuzz-run FUZZ_SECONDS=60 runs every target for that long on its corpus.
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus/$$n fuzz/corpus/$$n \
	    > build/fuzz/$$n.log 2>&1 || { tail -n 40 build/fuzz/$$n.log; echo "fuzz-run: $$n FAILED"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' build/fuzz/$$n.log; done

# STYLE.md §5: calls that invite overflows or unbounded parsing never enter the tree.
BANNED := strtok|sscanf|atoi|atol|strcpy|strcat|sprintf|vsprintf|gets|strncpy
checksrc:
	@if grep -nE '(^|[^_a-zA-Z0-9])($(BANNED))[[:space:]]*\(' $$(ls engine/base/*.[ch] engine/*.[ch] renderer/*.[ch] cache/*.[ch] report/*.[ch] evaluate/*.[ch] survey/*.[ch] cli/*.[ch] fcgi/*.[ch] fuzz/*.c tests/*.c tests/lib/*.c tests/helpers/*.c 2>/dev/null); then \
	  echo "checksrc: banned call(s) above (STYLE.md §5)"; exit 1; fi
	@echo "checksrc: ok"
	@mkdir -p build && scripts/check-layers

install-deps:
	scripts/install-deps

# ---- make install (issue 22) -------------------------------------------------
#   make install PREFIX=/usr DESTDIR=/tmp/stage
# bimi in BINDIR, bimi-fcgi in SBINDIR (bimi-fcgi finds its render worker, bimi, beside it
# or in ../bin: evaluate/evaluate.c), data in DATADIR, the configuration (the example with
# the installed paths) in SYSCONFDIR/bimi, the systemd units and the nginx site with these
# paths, the man pages built from man/*.scd by scdoc. PREFIX=/usr puts the configuration
# in /etc and the units in /lib/systemd/system (Debian's layout).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/bimi
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/bimi-engine
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
CACHEDIR ?= /var/cache/bimi
INSTALL ?= install
MAN_SRC := $(sort $(wildcard man/*.scd))
MAN_PAGES := $(MAN_SRC:man/%.scd=build/man/%)

build/man/%: man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@.tmp && mv $@.tmp $@
man: $(MAN_PAGES)

# The installed files name the installed paths.
INSTALL_SED := -e 's|/usr/local/sbin/bimi-fcgi|$(SBINDIR)/bimi-fcgi|g' \
               -e 's|/usr/local/bin/bimi|$(BINDIR)/bimi|g' \
               -e 's|/usr/local/share/bimi|$(DATADIR)|g' \
               -e 's|/usr/local/share/doc/bimi-engine|$(DOCDIR)|g' \
               -e 's|/usr/local/share/doc/bimi/|$(DOCDIR)/|g' \
               -e 's|/etc/bimi/|$(SYSCONFDIR)/bimi/|g' \
               -e 's|^\#* *bimi_roots = .*|bimi_roots = $(DATADIR)/bimi-roots.pem|' \
               -e 's|^\#* *ct_logs = .*|ct_logs = $(DATADIR)/ct-logs.cnf|' \
               -e 's|^dir = /var/cache/bimi$$|dir = $(CACHEDIR)|'

install: build/bimi build/bimi-fcgi $(MAN_PAGES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/schema \
	  $(DESTDIR)$(SYSCONFDIR)/bimi $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 build/bimi $(DESTDIR)$(BINDIR)/bimi
	$(INSTALL) -m 0755 build/bimi-fcgi $(DESTDIR)$(SBINDIR)/bimi-fcgi
	$(INSTALL) -m 0644 data/bimi-roots.pem data/ct-logs.cnf $(DESTDIR)$(DATADIR)/
	$(INSTALL) -m 0644 data/schema/SVG_PS-latest.rng data/schema/README.md data/schema/SHA256SUMS \
	  $(DESTDIR)$(DATADIR)/schema/
	$(INSTALL) -m 0644 conf/bimi.conf.example $(DESTDIR)$(DATADIR)/bimi.conf.example
	sed $(INSTALL_SED) conf/bimi.conf.example > $(DESTDIR)$(SYSCONFDIR)/bimi/bimi.conf
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/bimi/bimi.conf
	sed $(INSTALL_SED) conf/nginx/bimi.conf > $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/bimi.conf
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/bimi.conf
	for u in bimi-fcgi.service bimi-fcgi.socket bimi-report.service bimi-report.timer; do \
	  sed $(INSTALL_SED) conf/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	$(INSTALL) -m 0644 build/man/bimi.1 $(DESTDIR)$(MANDIR)/man1/bimi.1
	$(INSTALL) -m 0644 build/man/bimi.conf.5 $(DESTDIR)$(MANDIR)/man5/bimi.conf.5
	$(INSTALL) -m 0644 build/man/bimi-fcgi.8 $(DESTDIR)$(MANDIR)/man8/bimi-fcgi.8
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(INSTALL) -m 0644 docs/api.md $(DESTDIR)$(DOCDIR)/api.md
	for f in $(ROUNDCUBE_PLUGIN_FILES); do d=$(DESTDIR)$(DATADIR)/roundcube/$${f#integrations/roundcube/}; \
	  $(INSTALL) -d $$(dirname $$d) && $(INSTALL) -m 0644 $$f $$d || exit 1; done

# The Roundcube plugin, installed as DATADIR/roundcube/bimi_engine (README "Roundcube").
ROUNDCUBE_PLUGIN_FILES := $(sort $(shell find integrations/roundcube/bimi_engine -type f 2>/dev/null))

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bimi $(DESTDIR)$(SBINDIR)/bimi-fcgi \
	  $(DESTDIR)$(MANDIR)/man1/bimi.1 $(DESTDIR)$(MANDIR)/man5/bimi.conf.5 $(DESTDIR)$(MANDIR)/man8/bimi-fcgi.8 \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/bimi-fcgi.service $(DESTDIR)$(SYSTEMDUNITDIR)/bimi-fcgi.socket \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/bimi-report.service $(DESTDIR)$(SYSTEMDUNITDIR)/bimi-report.timer \
	  $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/bimi.conf
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/bimi/bimi.conf kept (your configuration)"

run: install-deps all
	scripts/run-demo

# Roundcube with the bimi_engine plugin on the demo stack (scripts/roundcube-stack), for a person:
# prints the URL and the test login; Enter or Ctrl-C stops it.
run-roundcube: install-deps all
	scripts/run-roundcube

bench: all
	bench/run

clean:
	rm -rf build

# Helper programs of the integration tests (tests/helpers/*.c, each with its own main),
# linked by the $(O)/tests/% rule above and built before the TAP scripts run.
HELPER_BIN := $(patsubst %.c,$(O)/%,$(sort $(wildcard tests/helpers/*.c)))
check: $(HELPER_BIN)

-include $(shell find build/obj -name '*.d' 2>/dev/null)

endif
