package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Database is `postgresql:index/database:Database`; its id is its name. A new name, template,
// encoding or locale replaces the database (they are fixed at creation); owner, connection
// limit, allowConnections and isTemplate change in place with ALTER DATABASE.
type Database struct{}

type DatabaseArgs struct {
	Name             string  `pulumi:"name" provider:"replaceOnChanges"`
	Owner            *string `pulumi:"owner,optional"`
	ConnectionLimit  *int    `pulumi:"connectionLimit,optional"`
	AllowConnections *bool   `pulumi:"allowConnections,optional"`
	IsTemplate       *bool   `pulumi:"isTemplate,optional"`
	Template         *string `pulumi:"template,optional" provider:"replaceOnChanges"`
	Encoding         *string `pulumi:"encoding,optional" provider:"replaceOnChanges"`
	LcCollate        *string `pulumi:"lcCollate,optional" provider:"replaceOnChanges"`
	LcCtype          *string `pulumi:"lcCtype,optional" provider:"replaceOnChanges"`
}

// DatabaseState holds the inputs with the server's values filled in where they were left to it
// (owner, template, encoding, locales), as the SDK's outputs promise.
type DatabaseState struct {
	DatabaseArgs
}

func (d *Database) Annotate(a infer.Annotator) {
	a.SetToken("index/database", "Database")
	a.Describe(d, "A PostgreSQL database. Not implemented: tablespaceName, alterObjectOwnership.")
}

func (a *DatabaseArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the database; a new name replaces the database.")
	an.Describe(&a.Owner, "Role owning the database. Default: the provider's role.")
	an.Describe(&a.ConnectionLimit, "Most concurrent connections; -1 (the default) for no limit.")
	an.Describe(&a.AllowConnections, "Whether anyone may connect. Default true.")
	an.Describe(&a.IsTemplate, "Whether roles with CREATEDB may clone it. Default false.")
	an.Describe(&a.Template, "Database copied at creation, or DEFAULT (template1). Default template0.")
	an.Describe(&a.Encoding, "Character set, or DEFAULT (the template's). Default UTF8.")
	an.Describe(&a.LcCollate, "Collation, or DEFAULT. Default: the template's.")
	an.Describe(&a.LcCtype, "Character classification, or DEFAULT. Default: the template's.")
}

func (*Database) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[DatabaseArgs], error) {
	inputs, failures := refuse(req.NewInputs, []string{"tablespaceName", "alterObjectOwnership"},
		func(key string, v property.Value) bool {
			// Asking for the template's tablespace, or for owned objects to stay, is the default.
			return (v.IsBool() && !v.AsBool()) || (v.IsString() && strings.EqualFold(v.AsString(), "DEFAULT"))
		})
	args, more, err := infer.DefaultCheck[DatabaseArgs](ctx, inputs)
	failures = append(failures, more...)
	if args.ConnectionLimit != nil && *args.ConnectionLimit < -1 {
		failures = append(failures, p.CheckFailure{Property: "connectionLimit", Reason: "connectionLimit must be -1 (no limit) or more"})
	}
	return infer.CheckResponse[DatabaseArgs]{Inputs: args, Failures: failures}, err
}

// creationClause is `KEYWORD value` for a CREATE DATABASE option: DEFAULT as the keyword DEFAULT,
// unset or empty as def ("" for none).
func creationClause(keyword string, value *string, def string) string {
	v := deref(value, "")
	switch {
	case strings.EqualFold(v, "DEFAULT"):
		return " " + keyword + " DEFAULT"
	case v != "":
		return " " + keyword + " " + literal(v)
	case def != "":
		return " " + keyword + " " + literal(def)
	}
	return ""
}

func (*Database) Create(ctx context.Context, req infer.CreateRequest[DatabaseArgs]) (infer.CreateResponse[DatabaseState], error) {
	a := req.Inputs
	resp := infer.CreateResponse[DatabaseState]{ID: a.Name, Output: DatabaseState{a}}
	if req.DryRun {
		return resp, nil
	}
	// TEMPLATE takes a name, not a string: quoted as an identifier unless DEFAULT.
	template := " TEMPLATE " + ident(deref(a.Template, "template0"))
	if strings.EqualFold(deref(a.Template, ""), "DEFAULT") {
		template = " TEMPLATE DEFAULT"
	}
	stmt := "CREATE DATABASE " + ident(a.Name) + template +
		creationClause("ENCODING", a.Encoding, "UTF8") +
		creationClause("LC_COLLATE", a.LcCollate, "") +
		creationClause("LC_CTYPE", a.LcCtype, "") +
		fmt.Sprintf(" ALLOW_CONNECTIONS %t CONNECTION LIMIT %d IS_TEMPLATE %t",
			deref(a.AllowConnections, true), deref(a.ConnectionLimit, -1), deref(a.IsTemplate, false))
	owner := deref(a.Owner, "")
	if owner != "" && !strings.EqualFold(owner, "DEFAULT") {
		stmt += " OWNER " + ident(owner)
	}
	srv := serverOf(ctx)
	pool, err := srv.pool(ctx, "")
	if err == nil {
		err = locked(ctx, pool, "database:"+a.Name, func(conn *pgxpool.Conn) error {
			run := func() error { _, err := conn.Exec(ctx, stmt); return err }
			if owner == "" || strings.EqualFold(owner, "DEFAULT") {
				return run()
			}
			return asMemberOf(ctx, conn, owner, run)
		})
	}
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, fmt.Errorf("creating database %s: %w", a.Name, err)
	}
	found, state, err := readDatabase(ctx, srv, a.Name, DatabaseState{a})
	if err == nil && !found {
		err = errors.New("not found right after it was created")
	}
	if err != nil {
		return infer.CreateResponse[DatabaseState]{}, fmt.Errorf("reading database %s: %w", a.Name, err)
	}
	resp.Output = state
	return resp, nil
}

// readDatabase fills a state from the server; found is false when the database does not exist.
func readDatabase(ctx context.Context, srv *server, name string, state DatabaseState) (bool, DatabaseState, error) {
	pool, err := srv.pool(ctx, "")
	if err != nil {
		return false, state, err
	}
	var owner, encoding, collate, ctype string
	var limit int
	var allow, template bool
	err = pool.QueryRow(ctx, `select pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate,
		datctype, datconnlimit, datallowconn, datistemplate from pg_database where datname = $1`, name).
		Scan(&owner, &encoding, &collate, &ctype, &limit, &allow, &template)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, state, nil
	}
	if err != nil {
		return false, state, err
	}
	a := &state.DatabaseArgs
	a.Name, a.Owner, a.Encoding, a.LcCollate, a.LcCtype = name, &owner, &encoding, &collate, &ctype
	a.ConnectionLimit, a.AllowConnections, a.IsTemplate = &limit, &allow, &template
	if a.Template == nil {
		a.Template = new("template0") // not recorded by the server: what it was created from
	}
	return true, state, nil
}

func (*Database) Read(ctx context.Context, req infer.ReadRequest[DatabaseArgs, DatabaseState]) (infer.ReadResponse[DatabaseArgs, DatabaseState], error) {
	found, state, err := readDatabase(ctx, serverOf(ctx), req.ID, req.State)
	if err != nil || !found {
		return infer.ReadResponse[DatabaseArgs, DatabaseState]{}, err // an empty id: the database is gone
	}
	// The inputs follow what can drift. Template, encoding and locales cannot change without a
	// new database, and are left as given (DEFAULT, or unset, is not what the server reports).
	inputs, s := req.Inputs, state.DatabaseArgs
	inputs.Name = s.Name
	if inputs.Owner != nil && !strings.EqualFold(*inputs.Owner, "DEFAULT") {
		inputs.Owner = s.Owner
	}
	observe(&inputs.ConnectionLimit, *s.ConnectionLimit, -1)
	observe(&inputs.AllowConnections, *s.AllowConnections, true)
	observe(&inputs.IsTemplate, *s.IsTemplate, false)
	return infer.ReadResponse[DatabaseArgs, DatabaseState]{ID: req.ID, Inputs: inputs, State: state}, nil
}

func (*Database) Update(ctx context.Context, req infer.UpdateRequest[DatabaseArgs, DatabaseState]) (infer.UpdateResponse[DatabaseState], error) {
	a, was := req.Inputs, req.State.DatabaseArgs
	if req.DryRun {
		return infer.UpdateResponse[DatabaseState]{Output: DatabaseState{a}}, nil
	}
	var with []string
	if limit := deref(a.ConnectionLimit, -1); limit != deref(was.ConnectionLimit, -1) {
		with = append(with, fmt.Sprintf("CONNECTION LIMIT %d", limit))
	}
	if allow := deref(a.AllowConnections, true); allow != deref(was.AllowConnections, true) {
		with = append(with, fmt.Sprintf("ALLOW_CONNECTIONS %t", allow))
	}
	if tmpl := deref(a.IsTemplate, false); tmpl != deref(was.IsTemplate, false) {
		with = append(with, fmt.Sprintf("IS_TEMPLATE %t", tmpl))
	}
	owner := deref(a.Owner, "")
	newOwner := owner != "" && !strings.EqualFold(owner, "DEFAULT") && owner != deref(was.Owner, "")
	srv := serverOf(ctx)
	pool, err := srv.pool(ctx, "")
	if err == nil {
		err = locked(ctx, pool, "database:"+a.Name, func(conn *pgxpool.Conn) error {
			if len(with) > 0 {
				if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(a.Name)+" WITH "+strings.Join(with, " ")); err != nil {
					return err
				}
			}
			if !newOwner {
				return nil
			}
			return asMemberOf(ctx, conn, owner, func() error {
				_, err := conn.Exec(ctx, "ALTER DATABASE "+ident(a.Name)+" OWNER TO "+ident(owner))
				return err
			})
		})
	}
	if err != nil {
		return infer.UpdateResponse[DatabaseState]{}, fmt.Errorf("altering database %s: %w", a.Name, err)
	}
	found, state, err := readDatabase(ctx, srv, a.Name, DatabaseState{a})
	if err == nil && !found {
		err = errors.New("database is gone")
	}
	if err != nil {
		return infer.UpdateResponse[DatabaseState]{}, fmt.Errorf("reading database %s: %w", a.Name, err)
	}
	return infer.UpdateResponse[DatabaseState]{Output: state}, nil
}

// Delete drops the database, ending the sessions still connected to it (a template database
// first stops being one: templates cannot be dropped).
func (*Database) Delete(ctx context.Context, req infer.DeleteRequest[DatabaseState]) (infer.DeleteResponse, error) {
	name := req.ID
	srv := serverOf(ctx)
	srv.forget(name)
	pool, err := srv.pool(ctx, "")
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	err = locked(ctx, pool, "database:"+name, func(conn *pgxpool.Conn) error {
		var owner string
		var template bool
		var version int
		err := conn.QueryRow(ctx, `select pg_get_userbyid(datdba), datistemplate, current_setting('server_version_num')::int
			from pg_database where datname = $1`, name).Scan(&owner, &template, &version)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return asMemberOf(ctx, conn, owner, func() error {
			db := ident(name)
			steps := []string{"DROP DATABASE " + db + " WITH (FORCE)"}
			if version < 130000 { // no FORCE before PostgreSQL 13: close the door, then end sessions
				steps = []string{
					"ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS false",
					"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + literal(name) + " AND pid <> pg_backend_pid()",
					"DROP DATABASE " + db,
				}
			}
			if template {
				steps = append([]string{"ALTER DATABASE " + db + " WITH IS_TEMPLATE false"}, steps...)
			}
			for _, stmt := range steps {
				if _, err := conn.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil && !missing(err) {
		return infer.DeleteResponse{}, fmt.Errorf("dropping database %s: %w", name, err)
	}
	return infer.DeleteResponse{}, nil
}
