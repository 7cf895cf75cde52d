// The netip oracle for test/api/net.test.ts: standard library only, so building it downloads nothing.
module palisade.dev/harness/netip-oracle

go 1.22
