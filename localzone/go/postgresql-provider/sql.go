package main

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func deref[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// ident quotes an identifier (`a.b` stays one name); names are never pasted into SQL unquoted.
func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// literal quotes a string constant. Utility statements (CREATE ROLE, CREATE DATABASE, ...) take
// no bind parameters. Quotes are doubled; a string with backslashes becomes an E-string with
// them doubled, which reads the same whatever standard_conforming_strings says.
func literal(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(s, `\`, `\\`) + "'"
	}
	return "'" + s + "'"
}

// pulumiKeys lists the property names a struct declares in its `pulumi` tags.
func pulumiKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("pulumi"); ok {
			keys[strings.Split(tag, ",")[0]] = true
		}
	}
	return keys
}

// refuse turns every given input among `unsupported` into a check failure naming it, unless
// harmless says its value asks for nothing, and removes them all from the inputs.
func refuse(inputs property.Map, unsupported []string, harmless func(string, property.Value) bool) (property.Map, []p.CheckFailure) {
	var failures []p.CheckFailure
	for _, key := range unsupported {
		v, ok := inputs.GetOk(key)
		if !ok {
			continue
		}
		inputs = inputs.Delete(key)
		if v.IsNull() || (harmless != nil && harmless(key, v)) {
			continue
		}
		failures = append(failures, p.CheckFailure{
			Property: key,
			Reason:   key + " is not implemented by pluskube's postgresql provider",
		})
	}
	return inputs, failures
}

// observe puts a value read from the server into inputs or state: a value given there is
// replaced, and an absent one stays absent while the server holds the default, so that a
// refresh of an unchanged resource changes nothing while drift shows up in the next diff.
func observe[T comparable](field **T, actual, def T) {
	if *field != nil || actual != def {
		*field = &actual
	}
}

// missing says whether an error means the object a statement names is gone.
func missing(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "3D000", "42704", "3F000", "42P01": // database, object (role), schema, table
		return true
	}
	return false
}

// locked runs fn on one connection holding a session advisory lock on key. Statements that
// rewrite one catalog row (GRANTs on a database, ALTER DATABASE) fail with "tuple concurrently
// updated" when they meet, and the engine runs resources in parallel.
func locked(ctx context.Context, pool *pgxpool.Pool, key string, fn func(*pgxpool.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `select pg_advisory_lock(hashtextextended($1, 0))`, "pluskube:"+key); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), `select pg_advisory_unlock(hashtextextended($1, 0))`, "pluskube:"+key)
	}()
	return fn(conn)
}

// asMemberOf runs fn with the connected role made a member of role for the time being, when it
// is not one already: creating a database for an owner, changing or dropping it, and REASSIGN
// OWNED need that unless the connected role is a superuser.
func asMemberOf(ctx context.Context, conn *pgxpool.Conn, role string, fn func() error) error {
	var member bool
	err := conn.QueryRow(ctx, `select pg_has_role(current_user, $1, 'MEMBER')`, role).Scan(&member)
	if err != nil || member {
		if missing(err) {
			err = nil // no such role: the statement itself will say so
		}
		if err != nil {
			return err
		}
		return fn()
	}
	if _, err := conn.Exec(ctx, "GRANT "+ident(role)+" TO current_user"); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "REVOKE "+ident(role)+" FROM current_user")
	}()
	return fn()
}

var md5Hash = regexp.MustCompile(`^md5[0-9a-f]{32}$`)

// passwordClause is the PASSWORD clause of CREATE/ALTER ROLE. A plain ASCII password is sent as
// a SCRAM-SHA-256 verifier computed here, as psql's \password does, so the clear text appears
// in no statement and no server log; hashes pass as they are (the server recognizes them), and
// other passwords as text, for the server to normalize and hash.
func passwordClause(password *string) (string, error) {
	if password == nil {
		return " PASSWORD NULL", nil
	}
	pw := *password
	if strings.HasPrefix(pw, "SCRAM-SHA-256$") || md5Hash.MatchString(pw) || !printableASCII(pw) {
		return " PASSWORD " + literal(pw), nil
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	verifier, err := scramVerifier(pw, salt, 4096)
	return " PASSWORD " + literal(verifier), err
}

func printableASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// scramVerifier computes what PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func scramVerifier(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	storedKey := sha256.Sum256(mac("Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(mac("Server Key"))), nil
}

// passwordMatches says whether a stored password hash (pg_authid.rolpassword) is that of
// password. Unknown forms count as matching: drift is reported only when certain.
func passwordMatches(stored, password, role string) bool {
	switch {
	case strings.HasPrefix(password, "SCRAM-SHA-256$") || md5Hash.MatchString(password):
		return stored == password
	case strings.HasPrefix(stored, "SCRAM-SHA-256$"):
		var salt []byte
		parts := strings.SplitN(strings.TrimPrefix(stored, "SCRAM-SHA-256$"), "$", 2)
		head := strings.SplitN(parts[0], ":", 2)
		if len(parts) != 2 || len(head) != 2 {
			return true
		}
		iterations, err := strconv.Atoi(head[0])
		if err == nil {
			salt, err = base64.StdEncoding.DecodeString(head[1])
		}
		if err != nil || !printableASCII(password) {
			return true
		}
		expected, err := scramVerifier(password, salt, iterations)
		return err != nil || subtle.ConstantTimeCompare([]byte(expected), []byte(stored)) == 1
	case md5Hash.MatchString(stored):
		return stored == md5Password(password, role)
	}
	return true
}

// md5Password is the older hash form: "md5" and the MD5 of the password followed by the role name.
func md5Password(password, role string) string {
	sum := md5.Sum([]byte(password + role))
	return "md5" + hex.EncodeToString(sum[:])
}
