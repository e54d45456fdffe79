# Common tasks. `make test` is what CI runs (plus fmt and lint).
.PHONY: build release fmt lint test sample analyze bench ci

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
