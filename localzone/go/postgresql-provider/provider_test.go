package main

// Checks that need no server; test/integration/providers.test.ts runs the rest through the
// engine against the local zone's PostgreSQL. `go test .` in this folder.

import (
	"context"
	"slices"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func testServer(t *testing.T) integration.Server {
	provider, err := newProvider()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), "postgresql", semver.MustParse("3.18.0"), integration.WithProvider(provider))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func reasons(failures []p.CheckFailure) []string {
	var out []string
	for _, f := range failures {
		out = append(out, f.Property+": "+f.Reason)
	}
	return out
}

// The npm SDK JSON-encodes port, superuser and connectTimeout; other SDKs and stack
// configuration send plain values. Both must configure the same provider.
func TestConfigAcceptsJSONEncodedAndPlainValues(t *testing.T) {
	for name, inputs := range map[string]property.Map{
		"json-encoded": property.NewMap(map[string]property.Value{
			"host": property.New("127.0.0.1"), "port": property.New("15432"),
			"superuser": property.New("false"), "connectTimeout": property.New("180"),
			"awsRdsIamAuth": property.New("false"), "version": property.New("3.18.0"),
		}),
		"plain": property.NewMap(map[string]property.Value{
			"host": property.New("127.0.0.1"), "port": property.New(15432.0),
			"superuser": property.New(false), "connectTimeout": property.New(180.0),
		}),
	} {
		resp, err := testServer(t).CheckConfig(p.CheckRequest{Urn: resource.URN("urn:pulumi:s::p::pulumi:providers:postgresql::pg"), Inputs: inputs})
		if err != nil || len(resp.Failures) > 0 {
			t.Fatalf("%s: %v %v", name, err, reasons(resp.Failures))
		}
		if got := resp.Inputs.Get("port"); !got.IsNumber() || got.AsNumber() != 15432 {
			t.Errorf("%s: port = %v", name, got)
		}
		if got := resp.Inputs.Get("superuser"); !got.IsBool() || got.AsBool() {
			t.Errorf("%s: superuser = %v", name, got)
		}
	}
}

func TestUnimplementedInputsAreRefusedByName(t *testing.T) {
	resp, err := testServer(t).CheckConfig(p.CheckRequest{
		Urn:    resource.URN("urn:pulumi:s::p::pulumi:providers:postgresql::pg"),
		Inputs: property.NewMap(map[string]property.Value{"awsRdsIamAuth": property.New("true")}),
	})
	if err != nil || !slices.Equal(reasons(resp.Failures), []string{"awsRdsIamAuth: awsRdsIamAuth is not implemented by pluskube's postgresql provider"}) {
		t.Errorf("config: %v %v", err, reasons(resp.Failures))
	}
	resp, err = testServer(t).Check(p.CheckRequest{
		Urn: resource.URN("urn:pulumi:s::p::postgresql:index/role:Role::r"),
		Inputs: property.NewMap(map[string]property.Value{
			"name": property.New("r"), "roles": property.New([]property.Value{property.New("x")}),
		}),
	})
	if err != nil || !slices.Equal(reasons(resp.Failures), []string{"roles: roles is not implemented by pluskube's postgresql provider"}) {
		t.Errorf("role: %v %v", err, reasons(resp.Failures))
	}
}

func TestUnimplementedResourcesAreRefusedByName(t *testing.T) {
	_, err := testServer(t).Check(p.CheckRequest{
		Urn:    resource.URN("urn:pulumi:s::p::postgresql:index/schema:Schema::s"),
		Inputs: property.NewMap(map[string]property.Value{"name": property.New("s")}),
	})
	want := "postgresql:index/schema:Schema is not implemented by pluskube's postgresql provider; it implements Role, Database, Grant"
	if err == nil || err.Error() != want {
		t.Errorf("schema: %v", err)
	}
}

func TestGrantPrivilegesAreNormalized(t *testing.T) {
	resp, err := testServer(t).Check(p.CheckRequest{
		Urn: resource.URN("urn:pulumi:s::p::postgresql:index/grant:Grant::g"),
		Inputs: property.NewMap(map[string]property.Value{
			"database": property.New("d"), "role": property.New("PUBLIC"), "objectType": property.New("Database"),
			"privileges": property.New([]property.Value{property.New("temp"), property.New("connect"), property.New("CONNECT")}),
		}),
	})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatal(err, reasons(resp.Failures))
	}
	var privileges []string
	for _, v := range resp.Inputs.Get("privileges").AsArray().All {
		privileges = append(privileges, v.AsString())
	}
	if !slices.Equal(privileges, []string{"CONNECT", "TEMPORARY"}) || resp.Inputs.Get("role").AsString() != "public" {
		t.Errorf("got %v, role %v", privileges, resp.Inputs.Get("role"))
	}
}

func TestPasswordHashes(t *testing.T) {
	verifier, err := scramVerifier("s3cret", []byte("0123456789abcdef"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if !passwordMatches(verifier, "s3cret", "r") || passwordMatches(verifier, "other", "r") {
		t.Errorf("SCRAM verifier %s does not tell the passwords apart", verifier)
	}
	// md5 of "s3cret" followed by "r", as `select md5('s3cretr')` gives it.
	if md5Password("s3cret", "r") != "md55e1d24dfdbb8bbc96e75c3499128281f" {
		t.Errorf("md5 form: %s", md5Password("s3cret", "r"))
	}
}
