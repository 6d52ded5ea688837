// Command pulumi-resource-postgresql is pluskube's postgresql provider: Role, Database and Grant
// under the tokens and property names of the @pulumi/postgresql npm SDK, so that SDK runs against
// it unchanged. The upstream provider module (a bridged Terraform provider) is not tagged, so the
// Go module proxy the local zone builds from does not serve it; this implements the part of it
// pluskube uses, and refuses by name the inputs it does not implement.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// version is set at build time (-X main.version=...) to the @pulumi/postgresql version pinned in
// package.json: the SDK asks the engine for plugin `postgresql` at exactly that version.
var version = "0.0.0-dev"

func main() {
	provider, err := newProvider()
	if err == nil {
		err = provider.Run(context.Background(), "postgresql", version)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func newProvider() (p.Provider, error) {
	provider, err := infer.NewProviderBuilder().
		WithDisplayName("postgresql").
		WithDescription("PostgreSQL roles, databases and grants.").
		WithConfig(infer.Config(&Config{})).
		WithResources(
			infer.Resource(&Role{}),
			infer.Resource(&Database{}),
			infer.Resource(&Grant{}),
		).
		Build()
	return refuseUnimplementedResources(withModuleFormat(provider)), err
}

// implementedResources are the resources of @pulumi/postgresql this provider serves; the SDK's
// other thirteen (Schema, Extension, GrantRole, DefaultPrivileges, Function, Publication, ...)
// are refused by name rather than with the framework's generic unknown-token error.
var implementedResources = []string{"Role", "Database", "Grant"}

func refuseUnimplementedResources(provider p.Provider) p.Provider {
	refusal := func(urn resource.URN) error {
		token := string(urn.Type())
		name := token[strings.LastIndex(token, ":")+1:]
		if !strings.HasPrefix(token, "postgresql:") || slices.Contains(implementedResources, name) {
			return nil
		}
		return fmt.Errorf("%s is not implemented by pluskube's postgresql provider; it implements %s",
			token, strings.Join(implementedResources, ", "))
	}
	check, read := provider.Check, provider.Read
	provider.Check = func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		if err := refusal(req.Urn); err != nil {
			return p.CheckResponse{}, err
		}
		return check(ctx, req)
	}
	provider.Read = func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
		if err := refusal(req.Urn); err != nil {
			return p.ReadResponse{}, err
		}
		return read(ctx, req)
	}
	return provider
}

// withModuleFormat adds the schema's `meta.moduleFormat`, which tells schema readers that the
// last segment of a module such as `index/role` is the resource's file name, not a nested
// module. The SDK's tokens have that shape; without it the schema does not bind.
func withModuleFormat(provider p.Provider) p.Provider {
	getSchema := provider.GetSchema
	provider.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := getSchema(ctx, req)
		if err != nil {
			return resp, err
		}
		var schema map[string]any
		if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
			return resp, err
		}
		schema["meta"] = map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"}
		out, err := json.Marshal(schema)
		return p.GetSchemaResponse{Schema: string(out)}, err
	}
	return provider
}

// Config is the provider's configuration (`pulumi:providers:postgresql`). The npm SDK sends
// port, superuser, connectTimeout and maxConnections JSON-encoded as strings; the framework
// decodes those against the schema types below, and plain numbers and booleans pass as they are.
// Anything unset falls back to libpq's environment variables (PGHOST, PGPORT, ...).
type Config struct {
	Host           *string `pulumi:"host,optional"`
	Port           *int    `pulumi:"port,optional"`
	Username       *string `pulumi:"username,optional"`
	Password       *string `pulumi:"password,optional" provider:"secret"`
	Database       *string `pulumi:"database,optional"`
	Sslmode        *string `pulumi:"sslmode,optional"`
	SslMode        *string `pulumi:"sslMode,optional"`
	Sslrootcert    *string `pulumi:"sslrootcert,optional"`
	ConnectTimeout *int    `pulumi:"connectTimeout,optional"`
	Superuser      *bool   `pulumi:"superuser,optional"`
	MaxConnections *int    `pulumi:"maxConnections,optional"`
	// Informational upstream (it picks features by version); the server's own version rules here.
	ExpectedVersion *string `pulumi:"expectedVersion,optional"`

	server *server // connection pools, made by Configure
}

func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Host, "Server host name or address. Default: PGHOST, else libpq's default.")
	a.Describe(&c.Port, "Server port. Default: PGPORT, else 5432.")
	a.Describe(&c.Username, "Role to connect as. Default: PGUSER, else postgres.")
	a.Describe(&c.Password, "Password of that role. Default: PGPASSWORD.")
	a.Describe(&c.Database, "Database to connect to for server-wide statements. Default postgres.")
	a.Describe(&c.Sslmode, "libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full. Default: PGSSLMODE, else prefer.")
	a.Deprecate(&c.SslMode, "Use sslmode.")
	a.Describe(&c.Sslrootcert, "File with the CA certificates that verify the server.")
	a.Describe(&c.ConnectTimeout, "Seconds to wait for a connection. Default 180.")
	a.Describe(&c.Superuser, "Whether the role connected as may use superuser powers (reading password hashes to detect drift). Default true; it must also really be one.")
	a.Describe(&c.MaxConnections, "Most connections opened to each database. Default 20.")
	a.Describe(&c.ExpectedVersion, "Accepted and ignored: the server's version is read from the server.")
}

// configKeys are the configuration keys Config declares; unsupportedConfig the SDK's others.
var (
	configKeys        = pulumiKeys(reflect.TypeFor[Config]())
	unsupportedConfig = []string{
		"awsRdsIamAuth", "awsRdsIamProfile", "awsRdsIamProviderRoleArn", "awsRdsIamRegion",
		"azureIdentityAuth", "azureTenantId", "clientcert", "databaseUsername",
		"gcpIamImpersonateServiceAccount", "scheme",
	}
)

func (*Config) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[*Config], error) {
	inputs, failures := refuse(req.NewInputs, unsupportedConfig, func(key string, v property.Value) bool {
		// The SDK's defaults of these are fine: they ask for nothing unsupported.
		return (v.IsBool() && !v.AsBool()) || (key == "scheme" && v.IsString() && v.AsString() == "postgres")
	})
	// The engine adds `version`; keys no version of the SDK sends are left to the engine too.
	for key := range inputs.All {
		if !configKeys[key] {
			inputs = inputs.Delete(key)
		}
	}
	cfg, more, err := infer.DefaultCheck[*Config](ctx, inputs)
	return infer.CheckResponse[*Config]{Inputs: cfg, Failures: append(failures, more...)}, err
}

// Diff reports configuration changes as updates: the provider reconnects, and no role, database
// or grant has to be replaced because, say, the admin password or a timeout changed.
func (*Config) Diff(_ context.Context, req infer.DiffRequest[*Config, *Config]) (infer.DiffResponse, error) {
	old, err := json.Marshal(req.State)
	if err != nil {
		return infer.DiffResponse{}, err
	}
	news, err := json.Marshal(req.Inputs)
	if err != nil {
		return infer.DiffResponse{}, err
	}
	return infer.DiffResponse{HasChanges: string(old) != string(news)}, nil
}

func (c *Config) Configure(context.Context) error {
	c.server = &server{config: *c, pools: map[string]*pgxpool.Pool{}}
	return nil
}

// server holds one connection pool per database: server-wide statements use the configured
// database, grants on schemas and tables the database they are in.
type server struct {
	config Config
	mu     sync.Mutex
	pools  map[string]*pgxpool.Pool
	super  *bool
}

func serverOf(ctx context.Context) *server {
	return infer.GetConfig[Config](ctx).server
}

func (s *server) defaultDatabase() string {
	return deref(s.config.Database, "postgres")
}

// pool returns the pool of a database ("" for the configured one), opening it on first use.
func (s *server) pool(ctx context.Context, database string) (*pgxpool.Pool, error) {
	if database == "" {
		database = s.defaultDatabase()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pool, ok := s.pools[database]; ok {
		return pool, nil
	}
	c := s.config
	settings := map[string]string{"dbname": database}
	put := func(key string, value *string) {
		if value != nil && *value != "" {
			settings[key] = *value
		}
	}
	put("host", c.Host)
	put("user", c.Username)
	put("password", c.Password)
	put("sslmode", c.SslMode)
	put("sslmode", c.Sslmode)
	put("sslrootcert", c.Sslrootcert)
	if c.Port != nil {
		settings["port"] = fmt.Sprint(*c.Port)
	}
	if c.Username == nil && os.Getenv("PGUSER") == "" {
		settings["user"] = "postgres"
	}
	settings["connect_timeout"] = fmt.Sprint(deref(c.ConnectTimeout, 180))
	settings["pool_max_conns"] = fmt.Sprint(deref(c.MaxConnections, 20))
	keys := make([]string, 0, len(settings))
	for key := range settings {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	dsn := make([]string, len(keys))
	for i, key := range keys {
		// Keyword/value form: quoted, with backslash and quote escaped, as libpq reads it.
		value := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(settings[key])
		dsn[i] = fmt.Sprintf("%s='%s'", key, value)
	}
	cfg, err := pgxpool.ParseConfig(strings.Join(dsn, " "))
	if err != nil {
		return nil, fmt.Errorf("postgresql provider configuration: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.pools[database] = pool
	return pool, nil
}

// forget closes a database's pool, before that database is dropped.
func (s *server) forget(database string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pool, ok := s.pools[database]; ok {
		pool.Close()
		delete(s.pools, database)
	}
}

// superuser says whether superuser powers may be used: the configuration allows it (default
// true, as upstream) and the connected role really is one.
func (s *server) superuser(ctx context.Context) (bool, error) {
	if s.config.Superuser != nil && !*s.config.Superuser {
		return false, nil
	}
	pool, err := s.pool(ctx, "")
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	known := s.super
	s.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	var super bool
	if err := pool.QueryRow(ctx, `select rolsuper from pg_roles where rolname = current_user`).Scan(&super); err != nil {
		return false, err
	}
	s.mu.Lock()
	s.super = &super
	s.mu.Unlock()
	return super, nil
}
