# Shorthands for the scripts (README.md).
.PHONY: run test bench bench-quick

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

# SwiftSFU against Janus 1.1.2, forwarding throughput, in one run (Benchmarks/README.md).
bench:
	bash scripts/bench.sh

bench-quick:
	bash scripts/bench.sh --quick --duration 4 --warm-up 2
