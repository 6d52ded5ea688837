package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Grant is `postgresql:index/grant:Grant`: the privileges a role (or `public`) holds on a
// database, a schema, or tables or sequences of a schema. Creating or updating it revokes
// everything the role holds there and grants exactly the privileges listed, so an empty list
// revokes all; deleting it revokes all.
type Grant struct{}

type GrantArgs struct {
	Database        string   `pulumi:"database"`
	Role            string   `pulumi:"role"`
	ObjectType      string   `pulumi:"objectType"`
	Privileges      []string `pulumi:"privileges"`
	Schema          *string  `pulumi:"schema,optional"`
	Objects         []string `pulumi:"objects,optional"`
	WithGrantOption *bool    `pulumi:"withGrantOption,optional"`
}

type GrantState struct {
	GrantArgs
}

func (g *Grant) Annotate(a infer.Annotator) {
	a.SetToken("index/grant", "Grant")
	a.Describe(g, "Exactly these privileges for a role on a database, schema, tables or sequences. "+
		"Not implemented: columns, and object types other than database, schema, table and sequence.")
}

func (a *GrantArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Database, "Database holding the objects (or granted on, for objectType database).")
	an.Describe(&a.Role, `Role receiving the privileges; "public" for every role.`)
	an.Describe(&a.ObjectType, "database, schema, table or sequence.")
	an.Describe(&a.Privileges, "Privileges held afterwards (ALL for every one); empty revokes all.")
	an.Describe(&a.Schema, "Schema: the one granted on (schema), or holding the tables or sequences.")
	an.Describe(&a.Objects, "Tables or sequences by name; empty for all of them in the schema.")
	an.Describe(&a.WithGrantOption, "Whether the role may grant them on. Default false.")
}

// objectKinds: per object type, its privileges (sorted, as Check leaves them) and, for tables
// and sequences, the pg_class kinds that count as one.
var objectKinds = map[string]struct {
	privileges []string
	relkinds   []string
}{
	"database": {privileges: []string{"CONNECT", "CREATE", "TEMPORARY"}},
	"schema":   {privileges: []string{"CREATE", "USAGE"}},
	"table":    {privileges: []string{"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"}, relkinds: []string{"r", "v", "m", "f", "p"}},
	"sequence": {privileges: []string{"SELECT", "UPDATE", "USAGE"}, relkinds: []string{"S"}},
}

// Check normalizes (lower-case type and public, upper-case, sorted, distinct privileges, TEMP
// spelled TEMPORARY, ALL expanded), so that diffs compare like with like.
func (*Grant) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[GrantArgs], error) {
	inputs, failures := refuse(req.NewInputs, []string{"columns"}, nil)
	a, more, err := infer.DefaultCheck[GrantArgs](ctx, inputs)
	failures = append(failures, more...)
	if err != nil || len(more) > 0 {
		return infer.CheckResponse[GrantArgs]{Inputs: a, Failures: failures}, err
	}
	// Values still unknown (during a preview) decode as empty: judge them once they are known.
	unknown := property.New(req.NewInputs).HasComputed()
	fail := func(key, reason string) {
		if !unknown {
			failures = append(failures, p.CheckFailure{Property: key, Reason: reason})
		}
	}
	a.ObjectType = strings.ToLower(a.ObjectType)
	if strings.EqualFold(a.Role, "public") {
		a.Role = "public"
	}
	kind, ok := objectKinds[a.ObjectType]
	if !ok {
		fail("objectType", fmt.Sprintf("objectType %q is not implemented by pluskube's postgresql provider (database, schema, table, sequence)", a.ObjectType))
	}
	var privileges []string
	for _, priv := range a.Privileges {
		priv = strings.ToUpper(strings.TrimSpace(priv))
		switch {
		case priv == "TEMP":
			priv = "TEMPORARY"
		case priv == "ALL" || priv == "ALL PRIVILEGES":
			privileges = append(privileges, kind.privileges...)
			continue
		}
		if ok && !slices.Contains(kind.privileges, priv) {
			fail("privileges", fmt.Sprintf("%s cannot be granted on a %s (%s)", priv, a.ObjectType, strings.Join(kind.privileges, ", ")))
		}
		privileges = append(privileges, priv)
	}
	slices.Sort(privileges)
	a.Privileges = slices.Compact(privileges)
	if a.Privileges == nil {
		a.Privileges = []string{} // an empty list is meaningful (revoke all): keep it a list
	}
	schema := deref(a.Schema, "")
	switch a.ObjectType {
	case "database":
		if schema != "" || len(a.Objects) > 0 {
			fail("schema", "schema and objects do not apply to objectType database")
		}
	case "schema":
		if schema == "" || len(a.Objects) > 0 {
			fail("schema", "objectType schema needs schema, and no objects")
		}
	case "table", "sequence":
		if schema == "" {
			fail("schema", "objectType "+a.ObjectType+" needs schema")
		}
	}
	slices.Sort(a.Objects)
	return infer.CheckResponse[GrantArgs]{Inputs: a, Failures: failures}, nil
}

// Diff: a change of privileges or grant option is an update (revoke and grant again in one
// transaction). A change of what is granted on, or to whom, replaces the grant, deleting the old
// one first: the new one may cover the same objects, and deleting it after would revoke them.
func (*Grant) Diff(_ context.Context, req infer.DiffRequest[GrantArgs, GrantState]) (infer.DiffResponse, error) {
	was, now := req.State.GrantArgs, req.Inputs
	diff := map[string]p.PropertyDiff{}
	mark := func(key string, changed bool, kind p.DiffKind) {
		if changed {
			diff[key] = p.PropertyDiff{Kind: kind, InputDiff: true}
		}
	}
	mark("database", was.Database != now.Database, p.UpdateReplace)
	mark("role", was.Role != now.Role, p.UpdateReplace)
	mark("objectType", was.ObjectType != now.ObjectType, p.UpdateReplace)
	mark("schema", deref(was.Schema, "") != deref(now.Schema, ""), p.UpdateReplace)
	mark("objects", !slices.Equal(was.Objects, now.Objects), p.UpdateReplace)
	mark("privileges", !slices.Equal(was.Privileges, now.Privileges), p.Update)
	mark("withGrantOption", deref(was.WithGrantOption, false) != deref(now.WithGrantOption, false), p.Update)
	return infer.DiffResponse{HasChanges: len(diff) > 0, DetailedDiff: diff, DeleteBeforeReplace: true}, nil
}

func grantID(a GrantArgs) string {
	parts := []string{a.Role, a.Database, a.ObjectType}
	if a.Schema != nil {
		parts = append(parts, *a.Schema)
	}
	return strings.Join(append(parts, a.Objects...), "_")
}

// target is the ON clause of GRANT and REVOKE.
func target(a GrantArgs) string {
	schema := ident(deref(a.Schema, ""))
	switch a.ObjectType {
	case "database":
		return "DATABASE " + ident(a.Database)
	case "schema":
		return "SCHEMA " + schema
	}
	if len(a.Objects) == 0 {
		return "ALL " + strings.ToUpper(a.ObjectType) + "S IN SCHEMA " + schema
	}
	names := make([]string, len(a.Objects))
	for i, object := range a.Objects {
		names[i] = schema + "." + ident(object)
	}
	return strings.ToUpper(a.ObjectType) + " " + strings.Join(names, ", ")
}

func grantee(role string) string {
	if role == "public" {
		return "PUBLIC"
	}
	return ident(role)
}

// objectsPool is where the granted objects live: a database's ACL can be changed from any
// database, a schema's or table's only from its own.
func objectsPool(ctx context.Context, srv *server, a GrantArgs) (*pgxpool.Pool, error) {
	if a.ObjectType == "database" {
		return srv.pool(ctx, "")
	}
	return srv.pool(ctx, a.Database)
}

// apply revokes all and grants the listed privileges, in one transaction, under the database's
// lock: GRANTs on one object at once fail with "tuple concurrently updated".
func apply(ctx context.Context, a GrantArgs, grant bool) error {
	pool, err := objectsPool(ctx, serverOf(ctx), a)
	if err != nil {
		return err
	}
	return locked(ctx, pool, "database:"+a.Database, func(conn *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "REVOKE ALL PRIVILEGES ON "+target(a)+" FROM "+grantee(a.Role)); err != nil {
				return err
			}
			if !grant || len(a.Privileges) == 0 {
				return nil
			}
			stmt := "GRANT " + strings.Join(a.Privileges, ", ") + " ON " + target(a) + " TO " + grantee(a.Role)
			if deref(a.WithGrantOption, false) {
				stmt += " WITH GRANT OPTION"
			}
			_, err := tx.Exec(ctx, stmt)
			return err
		})
	})
}

func (*Grant) Create(ctx context.Context, req infer.CreateRequest[GrantArgs]) (infer.CreateResponse[GrantState], error) {
	a := req.Inputs
	resp := infer.CreateResponse[GrantState]{ID: grantID(a), Output: GrantState{a}}
	if !req.DryRun {
		if err := apply(ctx, a, true); err != nil {
			return infer.CreateResponse[GrantState]{}, fmt.Errorf("granting on %s: %w", target(a), err)
		}
	}
	return resp, nil
}

func (*Grant) Update(ctx context.Context, req infer.UpdateRequest[GrantArgs, GrantState]) (infer.UpdateResponse[GrantState], error) {
	a := req.Inputs
	if !req.DryRun {
		if err := apply(ctx, a, true); err != nil {
			return infer.UpdateResponse[GrantState]{}, fmt.Errorf("granting on %s: %w", target(a), err)
		}
	}
	return infer.UpdateResponse[GrantState]{Output: GrantState{a}}, nil
}

func (*Grant) Delete(ctx context.Context, req infer.DeleteRequest[GrantState]) (infer.DeleteResponse, error) {
	a := req.State.GrantArgs
	// Gone already (database, schema, role or table): nothing is left to revoke.
	if err := apply(ctx, a, false); err != nil && !missing(err) {
		return infer.DeleteResponse{}, fmt.Errorf("revoking on %s: %w", target(a), err)
	}
	return infer.DeleteResponse{}, nil
}

// Read reports the privileges the role holds now. On tables or sequences, a privilege counts
// when the role holds it on every one of them. An ACL never set means the defaults
// (acldefault): on a database, PUBLIC holds CONNECT and TEMPORARY.
func (*Grant) Read(ctx context.Context, req infer.ReadRequest[GrantArgs, GrantState]) (infer.ReadResponse[GrantArgs, GrantState], error) {
	state := req.State
	a := state.GrantArgs
	pool, err := objectsPool(ctx, serverOf(ctx), a)
	if err != nil {
		return infer.ReadResponse[GrantArgs, GrantState]{}, err
	}
	var roleOID *uint32
	err = pool.QueryRow(ctx, `select case when $1 = 'public' then 0::oid else (select oid from pg_roles where rolname = $1) end`, a.Role).Scan(&roleOID)
	if missing(err) || (err == nil && roleOID == nil) {
		return infer.ReadResponse[GrantArgs, GrantState]{}, nil // the database or the role is gone
	}
	if err != nil {
		return infer.ReadResponse[GrantArgs, GrantState]{}, err
	}
	var query string
	args := []any{*roleOID}
	switch a.ObjectType {
	case "database":
		query = `select d.datname, a.privilege_type, a.is_grantable from pg_database d
			left join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a on a.grantee = $1
			where d.datname = $2`
		args = append(args, a.Database)
	case "schema":
		query = `select n.nspname, a.privilege_type, a.is_grantable from pg_namespace n
			left join lateral aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a on a.grantee = $1
			where n.nspname = $2`
		args = append(args, deref(a.Schema, ""))
	default:
		query = `select c.relname, a.privilege_type, a.is_grantable from pg_class c
			join pg_namespace n on n.oid = c.relnamespace
			left join lateral aclexplode(coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's' else 'r' end::"char", c.relowner))) a on a.grantee = $1
			where n.nspname = $2 and c.relkind::text = any($3) and (coalesce(cardinality($4::text[]), 0) = 0 or c.relname = any($4))`
		args = append(args, deref(a.Schema, ""), objectKinds[a.ObjectType].relkinds, a.Objects)
	}
	rows, err := pool.Query(ctx, query, args...)
	if err != nil {
		return infer.ReadResponse[GrantArgs, GrantState]{}, err
	}
	held := map[string]map[string]bool{} // object → privilege → grantable
	err = forEachRow(rows, func(object string, privilege *string, grantable *bool) {
		if held[object] == nil {
			held[object] = map[string]bool{}
		}
		if privilege != nil {
			held[object][*privilege] = deref(grantable, false)
		}
	})
	if err != nil {
		return infer.ReadResponse[GrantArgs, GrantState]{}, err
	}
	if len(held) == 0 {
		if a.ObjectType == "database" || a.ObjectType == "schema" {
			return infer.ReadResponse[GrantArgs, GrantState]{}, nil // what it was granted on is gone
		}
		// No tables or sequences (yet): nothing to compare, keep what was granted.
		return infer.ReadResponse[GrantArgs, GrantState]{ID: req.ID, Inputs: req.Inputs, State: state}, nil
	}
	privileges, grantable := []string{}, true
	for _, priv := range objectKinds[a.ObjectType].privileges {
		onAll := true
		for _, privs := range held {
			g, ok := privs[priv]
			onAll = onAll && ok
			grantable = grantable && (!ok || g)
		}
		if onAll {
			privileges = append(privileges, priv)
		}
	}
	inputs := req.Inputs
	for _, g := range []*GrantArgs{&inputs, &state.GrantArgs} {
		g.Privileges = privileges
		observe(&g.WithGrantOption, grantable && len(privileges) > 0, false)
	}
	return infer.ReadResponse[GrantArgs, GrantState]{ID: req.ID, Inputs: inputs, State: state}, nil
}

func forEachRow(rows pgx.Rows, fn func(object string, privilege *string, grantable *bool)) error {
	defer rows.Close()
	for rows.Next() {
		var object string
		var privilege *string
		var grantable *bool
		if err := rows.Scan(&object, &privilege, &grantable); err != nil {
			return err
		}
		fn(object, privilege, grantable)
	}
	return rows.Err()
}
