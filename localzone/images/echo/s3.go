package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// handleS3 writes an object to $S3_BUCKET at $AWS_ENDPOINT_URL_S3 with the bucket's keys
// (the object bucket's secret), reads it back, compares, and deletes it.
func handleS3(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), timeoutParam(r.URL.Query().Get("timeout"), 10*time.Second))
	defer cancel()
	start := time.Now()
	result, err := roundTrip(ctx, r.URL.Query().Get("key"))
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

func roundTrip(ctx context.Context, key string) (map[string]any, error) {
	endpoint, bucket := os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("S3_BUCKET")
	if endpoint == "" || bucket == "" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL_S3 and S3_BUCKET must be set")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL_S3=%q is not a URL", endpoint)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Secure: u.Scheme == "https",
		Region: os.Getenv("AWS_REGION"),
		// The zone's S3 serves buckets as paths, not as subdomains.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, err
	}
	hostname, _ := os.Hostname()
	if key == "" {
		key = fmt.Sprintf("echo/%s-%d.txt", hostname, time.Now().UnixNano())
	}
	body := []byte(fmt.Sprintf("written by %s at %s\n", hostname, time.Now().UTC().Format(time.RFC3339Nano)))
	if _, err := client.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		return nil, fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	obj, err := client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	read, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	if !bytes.Equal(read, body) {
		return nil, fmt.Errorf("read back %d bytes that differ from the %d written", len(read), len(body))
	}
	if err := client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return nil, fmt.Errorf("delete %s/%s: %w", bucket, key, err)
	}
	return map[string]any{"bucket": bucket, "key": key, "bytes": len(body), "readBack": true, "deleted": true}, nil
}
