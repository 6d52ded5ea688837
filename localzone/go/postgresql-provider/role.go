package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Role is `postgresql:index/role:Role`; its id is its name. A new name replaces the role;
// every other change is an ALTER ROLE.
type Role struct{}

type RoleArgs struct {
	Name                   string  `pulumi:"name" provider:"replaceOnChanges"`
	Login                  *bool   `pulumi:"login,optional"`
	Password               *string `pulumi:"password,optional" provider:"secret"`
	EncryptedPassword      *bool   `pulumi:"encryptedPassword,optional"`
	Superuser              *bool   `pulumi:"superuser,optional"`
	CreateDatabase         *bool   `pulumi:"createDatabase,optional"`
	CreateRole             *bool   `pulumi:"createRole,optional"`
	Inherit                *bool   `pulumi:"inherit,optional"`
	Replication            *bool   `pulumi:"replication,optional"`
	BypassRowLevelSecurity *bool   `pulumi:"bypassRowLevelSecurity,optional"`
	ConnectionLimit        *int    `pulumi:"connectionLimit,optional"`
	SkipDropRole           *bool   `pulumi:"skipDropRole,optional"`
	SkipReassignOwned      *bool   `pulumi:"skipReassignOwned,optional"`
}

type RoleState struct {
	RoleArgs
}

func (r *Role) Annotate(a infer.Annotator) {
	a.SetToken("index/role", "Role")
	a.Describe(r, "A PostgreSQL role. Not implemented: "+strings.Join(unsupportedRole, ", ")+".")
}

func (a *RoleArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the role; a new name replaces the role.")
	an.Describe(&a.Login, "May log in. Default false.")
	an.Describe(&a.Password, "Password; sent as a SCRAM-SHA-256 verifier computed by the provider.")
	an.Describe(&a.EncryptedPassword, "Accepted for compatibility: a password already hashed (SCRAM or md5) is always stored as it is.")
	an.Describe(&a.Superuser, "Is a superuser. Default false.")
	an.Describe(&a.CreateDatabase, "May create databases. Default false.")
	an.Describe(&a.CreateRole, "May create roles. Default false.")
	an.Describe(&a.Inherit, "Uses the privileges of the roles it is a member of. Default true.")
	an.Describe(&a.Replication, "May replicate. Default false.")
	an.Describe(&a.BypassRowLevelSecurity, "Bypasses row-level security. Default false.")
	an.Describe(&a.ConnectionLimit, "Most concurrent connections; -1 (the default) for no limit.")
	an.Describe(&a.SkipDropRole, "Leave the role on the server when it is deleted. Default false.")
	an.Describe(&a.SkipReassignOwned, "When deleting, do not reassign (to the provider's role) and drop what the role owns first. Default false.")
}

// The SDK's Role inputs this provider does not implement; setting one fails the check.
var unsupportedRole = []string{
	"assumeRole", "encrypted", "idleInTransactionSessionTimeout", "passwordWo", "passwordWoVersion",
	"roles", "searchPaths", "statementTimeout", "validUntil",
}

func (*Role) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[RoleArgs], error) {
	inputs, failures := refuse(req.NewInputs, unsupportedRole, func(_ string, v property.Value) bool {
		return v.IsArray() && v.AsArray().Len() == 0 // an empty list asks for nothing
	})
	args, more, err := infer.DefaultCheck[RoleArgs](ctx, inputs)
	failures = append(failures, more...)
	if args.ConnectionLimit != nil && *args.ConnectionLimit < -1 {
		failures = append(failures, p.CheckFailure{Property: "connectionLimit", Reason: "connectionLimit must be -1 (no limit) or more"})
	}
	return infer.CheckResponse[RoleArgs]{Inputs: args, Failures: failures}, err
}

// roleOptions are the attribute clauses of CREATE ROLE (old == nil: all of them) or ALTER ROLE
// (only those that change: a role without superuser powers may not even restate NOSUPERUSER).
func roleOptions(a RoleArgs, old *RoleArgs) []string {
	var was RoleArgs
	if old != nil {
		was = *old
	}
	var opts []string
	flag := func(now, before *bool, def bool, yes, no string) {
		v := deref(now, def)
		if old != nil && v == deref(before, def) {
			return
		}
		if v {
			opts = append(opts, yes)
		} else {
			opts = append(opts, no)
		}
	}
	flag(a.Login, was.Login, false, "LOGIN", "NOLOGIN")
	flag(a.Superuser, was.Superuser, false, "SUPERUSER", "NOSUPERUSER")
	flag(a.CreateDatabase, was.CreateDatabase, false, "CREATEDB", "NOCREATEDB")
	flag(a.CreateRole, was.CreateRole, false, "CREATEROLE", "NOCREATEROLE")
	flag(a.Inherit, was.Inherit, true, "INHERIT", "NOINHERIT")
	flag(a.Replication, was.Replication, false, "REPLICATION", "NOREPLICATION")
	flag(a.BypassRowLevelSecurity, was.BypassRowLevelSecurity, false, "BYPASSRLS", "NOBYPASSRLS")
	if limit := deref(a.ConnectionLimit, -1); old == nil || limit != deref(was.ConnectionLimit, -1) {
		opts = append(opts, fmt.Sprintf("CONNECTION LIMIT %d", limit))
	}
	return opts
}

func (*Role) Create(ctx context.Context, req infer.CreateRequest[RoleArgs]) (infer.CreateResponse[RoleState], error) {
	a := req.Inputs
	resp := infer.CreateResponse[RoleState]{ID: a.Name, Output: RoleState{a}}
	if req.DryRun {
		return resp, nil
	}
	stmt := "CREATE ROLE " + ident(a.Name) + " WITH " + strings.Join(roleOptions(a, nil), " ")
	if a.Password != nil {
		clause, err := passwordClause(a.Password)
		if err != nil {
			return resp, err
		}
		stmt += clause
	}
	pool, err := serverOf(ctx).pool(ctx, "")
	if err == nil {
		_, err = pool.Exec(ctx, stmt)
	}
	if err != nil {
		return infer.CreateResponse[RoleState]{}, fmt.Errorf("creating role %s: %w", a.Name, err)
	}
	return resp, nil
}

func (*Role) Read(ctx context.Context, req infer.ReadRequest[RoleArgs, RoleState]) (infer.ReadResponse[RoleArgs, RoleState], error) {
	name := req.ID
	srv := serverOf(ctx)
	pool, err := srv.pool(ctx, "")
	if err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	var super, inherit, createRole, createDB, login, replication, bypassRLS bool
	var limit int
	err = pool.QueryRow(ctx, `select rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
		rolreplication, rolbypassrls, rolconnlimit from pg_roles where rolname = $1`, name).
		Scan(&super, &inherit, &createRole, &createDB, &login, &replication, &bypassRLS, &limit)
	if errors.Is(err, pgx.ErrNoRows) {
		return infer.ReadResponse[RoleArgs, RoleState]{}, nil // an empty id: the role is gone
	}
	if err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	}
	inputs, state := req.Inputs, req.State
	for _, a := range []*RoleArgs{&inputs, &state.RoleArgs} {
		a.Name = name
		observe(&a.Superuser, super, false)
		observe(&a.Inherit, inherit, true)
		observe(&a.CreateRole, createRole, false)
		observe(&a.CreateDatabase, createDB, false)
		observe(&a.Login, login, false)
		observe(&a.Replication, replication, false)
		observe(&a.BypassRowLevelSecurity, bypassRLS, false)
		observe(&a.ConnectionLimit, limit, -1)
	}
	// Only a superuser may read password hashes. A password changed behind our back is dropped
	// from the state, so the next update sets it again.
	if canRead, err := srv.superuser(ctx); err != nil {
		return infer.ReadResponse[RoleArgs, RoleState]{}, err
	} else if canRead && state.Password != nil {
		var stored *string
		err := pool.QueryRow(ctx, `select rolpassword from pg_authid where rolname = $1`, name).Scan(&stored)
		if err != nil {
			return infer.ReadResponse[RoleArgs, RoleState]{}, err
		}
		if stored == nil || !passwordMatches(*stored, *state.Password, name) {
			inputs.Password, state.Password = nil, nil
		}
	}
	return infer.ReadResponse[RoleArgs, RoleState]{ID: name, Inputs: inputs, State: state}, nil
}

func (*Role) Update(ctx context.Context, req infer.UpdateRequest[RoleArgs, RoleState]) (infer.UpdateResponse[RoleState], error) {
	a, was := req.Inputs, req.State.RoleArgs
	resp := infer.UpdateResponse[RoleState]{Output: RoleState{a}}
	if req.DryRun {
		return resp, nil
	}
	stmt := strings.Join(roleOptions(a, &was), " ")
	if deref(a.Password, "\x00") != deref(was.Password, "\x00") {
		clause, err := passwordClause(a.Password)
		if err != nil {
			return resp, err
		}
		stmt += clause
	}
	if stmt == "" {
		return resp, nil // only skipDropRole or skipReassignOwned changed: nothing on the server
	}
	pool, err := serverOf(ctx).pool(ctx, "")
	if err == nil {
		_, err = pool.Exec(ctx, "ALTER ROLE "+ident(a.Name)+" WITH "+stmt)
	}
	if err != nil {
		return infer.UpdateResponse[RoleState]{}, fmt.Errorf("altering role %s: %w", a.Name, err)
	}
	return resp, nil
}

// Delete drops the role. What it owns or holds privileges on in any database would stop DROP
// ROLE, so unless skipReassignOwned is set, its objects go to the provider's role and its
// privileges are dropped first, in every database where the catalog records some.
func (*Role) Delete(ctx context.Context, req infer.DeleteRequest[RoleState]) (infer.DeleteResponse, error) {
	a, name := req.State.RoleArgs, req.ID
	if deref(a.SkipDropRole, false) {
		return infer.DeleteResponse{}, nil
	}
	srv := serverOf(ctx)
	pool, err := srv.pool(ctx, "")
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	defer conn.Release()
	err = asMemberOf(ctx, conn, name, func() error {
		if !deref(a.SkipReassignOwned, false) {
			rows, err := conn.Query(ctx, `select distinct d.datname from pg_shdepend s
				join pg_database d on d.oid = s.dbid
				where s.refclassid = 'pg_authid'::regclass and d.datallowconn
				and s.refobjid = (select oid from pg_roles where rolname = $1)`, name)
			if err != nil {
				return err
			}
			databases, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			// The configured database too: there REASSIGN/DROP OWNED also cover what the role has
			// on shared objects (databases it owns, privileges on databases).
			for _, db := range append([]string{srv.defaultDatabase()}, databases...) {
				dbPool, err := srv.pool(ctx, db)
				if err != nil {
					return err
				}
				for _, stmt := range []string{"REASSIGN OWNED BY " + ident(name) + " TO current_user", "DROP OWNED BY " + ident(name)} {
					if _, err := dbPool.Exec(ctx, stmt); err != nil && !missing(err) {
						return fmt.Errorf("in database %s: %w", db, err)
					}
				}
			}
		}
		_, err := conn.Exec(ctx, "DROP ROLE IF EXISTS "+ident(name))
		return err
	})
	if err != nil && !missing(err) {
		return infer.DeleteResponse{}, fmt.Errorf("dropping role %s: %w", name, err)
	}
	return infer.DeleteResponse{}, nil
}
