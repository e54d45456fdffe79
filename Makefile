# Common tasks. `make test` is what CI runs (plus fmt and lint).
.PHONY: build release fmt lint test sample analyze bench ci fuzz fuzz-cmin

build:
	cargo build

release:
	cargo build --release

fmt:
	cargo fmt --all

lint:
	cargo clippy --all-targets -- -D warnings

test:
	cargo test

# Regenerate sample_data/ from the seeded generator (byte-identical for the same seed).
sample:
	cargo run --release -- sample --out sample_data

analyze:
	cargo run --release -- analyze sample_data

ci:
	.ci/run

# Bounded fuzzing (needs a nightly toolchain and `cargo install cargo-fuzz`; see fuzz/README.md).
# Each target runs FUZZ_TIME seconds, one after the other; new inputs land in fuzz/corpus/.
FUZZ_TIME ?= 300
FUZZ_TARGETS ?= detect ingest timestamp config
fuzz:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run -s none $$t corpus/$$t -- \
			-max_total_time=$(FUZZ_TIME) -print_final_stats=1 || exit 1; \
	done

# Shrink fuzz/corpus/ back to a minimal set with the same coverage (run after `make fuzz`).
fuzz-cmin:
	cd fuzz && for t in $(FUZZ_TARGETS); do cargo +nightly fuzz cmin -s none $$t corpus/$$t -- -use_counters=0 || exit 1; done
