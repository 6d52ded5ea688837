package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// handleDB connects with $DATABASE_URL (the project database's secret), makes sure a table
// exists, records a visit and counts them: what an app of the project does with its database.
// `?url=` connects with other credentials instead, so isolation tests can show from inside a pod
// that another project's role or the server's administrator is refused.
func handleDB(w http.ResponseWriter, r *http.Request) {
	url := os.Getenv("DATABASE_URL")
	if other := r.URL.Query().Get("url"); other != "" {
		url = other
	}
	if url == "" {
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{"ok": false, "error": "DATABASE_URL is not set"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeoutParam(r.URL.Query().Get("timeout"), 10*time.Second))
	defer cancel()
	start := time.Now()
	result, err := visit(ctx, url)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]any{
			"ok": false, "result": classify(err), "error": err.Error(), "ms": since(start),
		})
		return
	}
	result["ok"] = true
	result["ms"] = since(start)
	writeJSON(w, http.StatusOK, result)
}

func visit(ctx context.Context, url string) (map[string]any, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	hostname, _ := os.Hostname()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS echo_visits (
		id bigserial PRIMARY KEY,
		hostname text NOT NULL,
		at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO echo_visits (hostname) VALUES ($1)`, hostname); err != nil {
		return nil, err
	}
	var user, database, server string
	var visits int64
	err = conn.QueryRow(ctx, `SELECT current_user, current_database(), current_setting('server_version'),
		(SELECT count(*) FROM echo_visits)`).Scan(&user, &database, &server, &visits)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"user":          user,
		"database":      database,
		"serverVersion": server,
		"visits":        visits,
	}, nil
}
