// Command netip-oracle prints, for each line of stdin, how Go's net/netip reads it: as an address
// (ParseAddr) and as a prefix (ParsePrefix, with Masked), one JSON object per line. test/api/net.test.ts
// compares src/api/net.ts against it, since the API server's CEL CIDR library is built on netip.
package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log"
	"net/netip"
	"os"
	"strings"
)

// Verdict is one reading of a line; String and Masked are empty when OK is false.
type Verdict struct {
	OK     bool   `json:"ok"`
	String string `json:"string,omitempty"`
	Masked string `json:"masked,omitempty"`
}

// Line is both readings of one input line.
type Line struct {
	Addr   Verdict `json:"addr"`
	Prefix Verdict `json:"prefix"`
}

func read(text string) Line {
	var line Line
	if addr, err := netip.ParseAddr(text); err == nil {
		line.Addr = Verdict{OK: true, String: addr.String()}
	}
	if prefix, err := netip.ParsePrefix(text); err == nil {
		line.Prefix = Verdict{OK: true, String: prefix.String(), Masked: prefix.Masked().String()}
	}
	return line
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	encoder := json.NewEncoder(out)
	// Only '\n' ends a line: a '\r' or any other byte is part of the text under test.
	for _, text := range strings.SplitAfter(string(input), "\n") {
		if text == "" {
			continue // after the last '\n'
		}
		if err := encoder.Encode(read(strings.TrimSuffix(text, "\n"))); err != nil {
			log.Fatal(err)
		}
	}
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
}
