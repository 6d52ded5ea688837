package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/bcrypt"
)

const (
	lowerChars = "abcdefghijklmnopqrstuvwxyz"
	upperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitChars = "0123456789"
	// The SDK documents these as the specials used when overrideSpecial is not set.
	defaultSpecials = "!@#$%&*()-_=+[]{}<>:?"
	// bcrypt only reads this many bytes; longer results are hashed on their first 72 bytes.
	bcryptMaxBytes = 72
)

// StringArgs are the inputs of both resources, named as the SDK sends them. Check fills in every
// default, so the stored inputs (and outputs) say exactly what a result was generated from.
type StringArgs struct {
	Keepers         map[string]string `pulumi:"keepers,optional"`
	Length          int               `pulumi:"length"`
	Lower           *bool             `pulumi:"lower,optional"`
	Upper           *bool             `pulumi:"upper,optional"`
	Numeric         *bool             `pulumi:"numeric,optional"`
	Number          *bool             `pulumi:"number,optional"` // deprecated twin of numeric
	Special         *bool             `pulumi:"special,optional"`
	MinLower        *int              `pulumi:"minLower,optional"`
	MinUpper        *int              `pulumi:"minUpper,optional"`
	MinNumeric      *int              `pulumi:"minNumeric,optional"`
	MinSpecial      *int              `pulumi:"minSpecial,optional"`
	OverrideSpecial *string           `pulumi:"overrideSpecial,optional"`
}

func (a *StringArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Keepers, "Arbitrary values that, when changed, generate a new result.")
	an.Describe(&a.Length, "Length of the result; at least 1 and at least the sum of the min* counts.")
	an.Describe(&a.Lower, "Include lowercase letters. Default true.")
	an.Describe(&a.Upper, "Include uppercase letters. Default true.")
	an.Describe(&a.Numeric, "Include digits. Default true.")
	an.Deprecate(&a.Number, "Use numeric.")
	an.Describe(&a.Special, "Include special characters. Default true.")
	an.Describe(&a.MinLower, "Least number of lowercase letters. Default 0.")
	an.Describe(&a.MinUpper, "Least number of uppercase letters. Default 0.")
	an.Describe(&a.MinNumeric, "Least number of digits. Default 0.")
	an.Describe(&a.MinSpecial, "Least number of special characters. Default 0.")
	an.Describe(&a.OverrideSpecial, "Special characters to use instead of "+defaultSpecials+".")
}

// RandomString is `random:index/randomString:RandomString`. It has no Update and no Read: every
// input change replaces it (a new result), and refresh keeps the stored result.
type RandomString struct{}

type StringState struct {
	StringArgs
	Result string `pulumi:"result"`
}

func (r *RandomString) Annotate(a infer.Annotator) {
	a.SetToken("index/randomString", "RandomString")
	a.Describe(r, "A random string, generated once; a change of any input generates a new one.")
}

func (*RandomString) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[StringArgs], error) {
	return checkArgs(ctx, req)
}

func (*RandomString) Create(ctx context.Context, req infer.CreateRequest[StringArgs]) (infer.CreateResponse[StringState], error) {
	state := StringState{StringArgs: req.Inputs}
	if req.DryRun {
		// An empty result is reported as unknown until the real create.
		return infer.CreateResponse[StringState]{Output: state}, nil
	}
	result, err := generate(req.Inputs)
	if err != nil {
		return infer.CreateResponse[StringState]{}, err
	}
	state.Result = result
	// The SDK's id of a RandomString is its result, as with the upstream provider.
	return infer.CreateResponse[StringState]{ID: result, Output: state}, nil
}

// RandomPassword is `random:index/randomPassword:RandomPassword`: a RandomString whose result
// is secret, with a bcrypt hash of it.
type RandomPassword struct{}

type PasswordState struct {
	StringArgs
	Result     string `pulumi:"result" provider:"secret"`
	BcryptHash string `pulumi:"bcryptHash" provider:"secret"`
}

func (r *RandomPassword) Annotate(a infer.Annotator) {
	a.SetToken("index/randomPassword", "RandomPassword")
	a.Describe(r, "A random password (secret), generated once; a change of any input generates a new one.")
}

func (*RandomPassword) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[StringArgs], error) {
	return checkArgs(ctx, req)
}

func (*RandomPassword) Create(ctx context.Context, req infer.CreateRequest[StringArgs]) (infer.CreateResponse[PasswordState], error) {
	state := PasswordState{StringArgs: req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[PasswordState]{Output: state}, nil
	}
	result, err := generate(req.Inputs)
	if err != nil {
		return infer.CreateResponse[PasswordState]{}, err
	}
	hashed := []byte(result)
	if len(hashed) > bcryptMaxBytes {
		hashed = hashed[:bcryptMaxBytes]
	}
	hash, err := bcrypt.GenerateFromPassword(hashed, bcrypt.DefaultCost)
	if err != nil {
		return infer.CreateResponse[PasswordState]{}, err
	}
	state.Result, state.BcryptHash = result, string(hash)
	// Not the result: ids are shown and logged in clear.
	return infer.CreateResponse[PasswordState]{ID: "none", Output: state}, nil
}

// checkArgs decodes the inputs, fills in the defaults and refuses impossible combinations.
func checkArgs(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[StringArgs], error) {
	args, failures, err := infer.DefaultCheck[StringArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[StringArgs]{Inputs: args, Failures: failures}, err
	}
	fail := func(property, format string, a ...any) {
		failures = append(failures, p.CheckFailure{Property: property, Reason: fmt.Sprintf(format, a...)})
	}
	yes, zero := true, 0
	for _, b := range []**bool{&args.Lower, &args.Upper, &args.Special} {
		if *b == nil {
			*b = &yes
		}
	}
	// numeric and its deprecated twin number always agree; either one alone sets both.
	switch {
	case args.Numeric == nil && args.Number == nil:
		args.Numeric, args.Number = &yes, &yes
	case args.Numeric == nil:
		args.Numeric = args.Number
	case args.Number == nil:
		args.Number = args.Numeric
	case *args.Numeric != *args.Number:
		fail("number", "number (deprecated) and numeric disagree; set only numeric")
	}
	for _, n := range []**int{&args.MinLower, &args.MinUpper, &args.MinNumeric, &args.MinSpecial} {
		if *n == nil {
			*n = &zero
		}
	}
	// Values still unknown (during a preview) decode as zero: judge them once they are known.
	if property.New(req.NewInputs).HasComputed() {
		return infer.CheckResponse[StringArgs]{Inputs: args, Failures: failures}, nil
	}
	mins := map[string]int{
		"minLower": *args.MinLower, "minUpper": *args.MinUpper,
		"minNumeric": *args.MinNumeric, "minSpecial": *args.MinSpecial,
	}
	sum := 0
	for name, n := range mins {
		if n < 0 {
			fail(name, "%s must not be negative", name)
		}
		sum += n
	}
	if args.Length < 1 || args.Length < sum {
		fail("length", "length must be at least 1 and at least the sum of the min* counts (%d)", sum)
	}
	if !*args.Lower && !*args.Upper && !*args.Numeric && !*args.Special {
		fail("lower", "at least one of lower, upper, numeric and special must be true")
	}
	return infer.CheckResponse[StringArgs]{Inputs: args, Failures: failures}, nil
}

// generate draws each class's minimum from that class, the rest from every enabled class, then
// shuffles, all with crypto/rand. Inputs are as checkArgs left them (no nil pointers).
func generate(a StringArgs) (string, error) {
	specials := defaultSpecials
	if a.OverrideSpecial != nil && *a.OverrideSpecial != "" {
		specials = *a.OverrideSpecial
	}
	classes := []struct {
		enabled bool
		min     int
		chars   []rune
	}{
		{*a.Lower, *a.MinLower, []rune(lowerChars)},
		{*a.Upper, *a.MinUpper, []rune(upperChars)},
		{*a.Numeric, *a.MinNumeric, []rune(digitChars)},
		{*a.Special, *a.MinSpecial, []rune(specials)},
	}
	// Runes, not bytes: overrideSpecial may hold characters of more than one byte.
	out := make([]rune, 0, a.Length)
	var pool []rune
	for _, c := range classes {
		if c.enabled {
			pool = append(pool, c.chars...)
		}
		for range c.min {
			ch, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, ch)
		}
	}
	for len(out) < a.Length {
		ch, err := pick(pool)
		if err != nil {
			return "", err
		}
		out = append(out, ch)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := uniform(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(chars []rune) (rune, error) {
	if len(chars) == 0 {
		return 0, fmt.Errorf("no characters to choose from")
	}
	i, err := uniform(len(chars))
	return chars[i], err
}

// uniform returns a uniformly distributed integer in [0, n).
func uniform(n int) (int, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(i.Int64()), nil
}
