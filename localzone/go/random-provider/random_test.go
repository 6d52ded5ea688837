package main

// `go test .` in this folder; test/integration/providers.test.ts runs the provider through the
// engine.

import (
	"strings"
	"testing"
)

func TestGenerateKeepsMinimumsAndClasses(t *testing.T) {
	yes, no, zero, two, three, specials := true, false, 0, 2, 3, "-_.~"
	args := StringArgs{
		Length: 8, Lower: &yes, Upper: &no, Numeric: &yes, Number: &yes, Special: &yes,
		MinLower: &zero, MinUpper: &zero, MinNumeric: &three, MinSpecial: &two, OverrideSpecial: &specials,
	}
	for range 500 {
		result, err := generate(args)
		if err != nil {
			t.Fatal(err)
		}
		count := func(chars string) int {
			return len([]rune(result)) - len([]rune(strings.Map(func(r rune) rune {
				if strings.ContainsRune(chars, r) {
					return -1
				}
				return r
			}, result)))
		}
		if len(result) != 8 || count(digitChars) < 3 || count(specials) < 2 ||
			count(lowerChars+digitChars+specials) != 8 {
			t.Fatalf("%q breaks the arguments", result)
		}
	}
}
