# A thin wrapper over meson: each target installs what is missing first, so a
# fresh Debian 12 machine needs nothing but `make demo` or `make check`.
BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps build check demo bench clean

all: build

deps:
	bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

check: build
	bash scripts/run-tests.sh $(BUILD)

# The main job: data distillation end to end at the `quick` scale (minutes on
# 2 CPU cores); the table is printed and kept in $(DEMO)/quick/. A demo
# folder whose benchmark an older generator made is refused: remove it, or
# give another, `make demo DEMO=folder`.
DEMO ?= $(BUILD)/demo
demo: build
	$(BUILD)/tools/ddistill distill --spec quick --out $(DEMO)

clean:
	rm -rf $(BUILD)
