# Common tasks. `make test` is what CI runs (plus fmt and lint).
.PHONY: build release fmt lint test sample analyze bench bench-e2e ci fuzz fuzz-cmin package-files deb rpm

build:
	cargo build

release:
	cargo build --release

fmt:
	cargo fmt --all

lint:
	cargo clippy --all-targets --all-features -- -D warnings
	cargo clippy --all-targets -- -D warnings

test:
	cargo test --all-features

# Regenerate sample_data/ from the seeded generator (byte-identical for the same seed).
sample:
	cargo run --release -- sample --out sample_data --force

analyze:
	cargo run --release -- analyze sample_data

ci:
	.ci/run

# Packages into target/packaging/ (packaging/README.md; needs `cargo install --locked
# cargo-deb@3.8.0 cargo-generate-rpm@0.21.1`). Built with every cargo feature; the man page
# and completions come from the built binary. PROFILE=dev packages a debug build instead.
PROFILE ?= release
TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/$(if $(filter dev,$(PROFILE)),debug,$(PROFILE))/connect-capacity

package-files:
	cargo build --locked --all-features --profile $(PROFILE)
	packaging/stage.sh $(BIN)

deb: package-files
	cargo deb --no-build --strip --profile $(PROFILE) --output target/packaging/

rpm: package-files
	cargo generate-rpm --profile $(PROFILE) --output target/packaging/

# criterion benches of the hot paths (10^4 and 10^6 sessions).
bench:
	cargo bench --bench hot_paths

# End-to-end: 10^6 and 10^7 sessions, connect-capacity vs DuckDB and pandas, with checks
# that the numbers agree (see bench/e2e.sh and BENCHMARKS.md). Needs ~1.5 GB of disk.
bench-e2e:
	bench/e2e.sh

# Bounded fuzzing (needs a nightly toolchain and `cargo install cargo-fuzz`; see fuzz/README.md).
# Each target runs FUZZ_TIME seconds, one after the other; new inputs land in fuzz/corpus/.
FUZZ_TIME ?= 300
FUZZ_TARGETS ?= detect ingest timestamp config fast
fuzz:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run -s none $$t corpus/$$t -- \
			-max_total_time=$(FUZZ_TIME) -print_final_stats=1 || exit 1; \
	done

# Shrink fuzz/corpus/ back to a minimal set with the same coverage (run after `make fuzz`).
fuzz-cmin:
	cd fuzz && for t in $(FUZZ_TARGETS); do cargo +nightly fuzz cmin -s none $$t corpus/$$t -- -use_counters=0 || exit 1; done
