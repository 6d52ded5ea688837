package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Results of a check.
const (
	Blocked = "blocked"
	Escaped = "ESCAPED"
)

// Check is one attempt and what came of it.
type Check struct {
	// Name is stable: tests look checks up by it.
	Name     string `json:"name"`
	Category string `json:"category"`
	// Attempt says what was tried.
	Attempt string `json:"attempt"`
	Result  string `json:"result"`
	// Detail is the error (errno name and text) of a blocked attempt, or what an escape reached.
	Detail string `json:"detail"`
}

func blocked(category, name, attempt, detail string) Check {
	return Check{Name: name, Category: category, Attempt: attempt, Result: Blocked, Detail: detail}
}

func escaped(category, name, attempt, detail string) Check {
	return Check{Name: name, Category: category, Attempt: attempt, Result: Escaped, Detail: detail}
}

// outcome is a check whose attempt either failed (blocked, with its error) or succeeded
// (escaped, with what it reached).
func outcome(category, name, attempt string, err error, success string) Check {
	if err != nil {
		return blocked(category, name, attempt, errText(err))
	}
	return escaped(category, name, attempt, success)
}

// errText names the errno behind an error, e.g. "EPERM: operation not permitted".
func errText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return fmt.Sprintf("%s: %s", unix.ErrnoName(errno), errno.Error())
	}
	return err.Error()
}

type config struct {
	hostMarker       string
	containerdSocket string
	zoneDir          string
	nodeIPs          []string
	nodePorts        []string
	apiService       string
	probeTimeout     time.Duration
}

// The node's ports a pod must not reach: the kubelet (10250, read-only 10255), kube-proxy
// (10249 metrics, 10256 health), and the local zone's etcd, API server, controller manager,
// scheduler and ingress admin API (zone/control-plane.ts and the ingress's admin port).
const defaultNodePorts = "10250,10255,10249,10256,12379,16443,16444,16445,12019"

func loadConfig() config {
	timeout, err := time.ParseDuration(envOr("PROBE_TIMEOUT", "2s"))
	if err != nil {
		timeout = 2 * time.Second
	}
	return config{
		hostMarker:       os.Getenv("HOST_MARKER"),
		containerdSocket: os.Getenv("CONTAINERD_SOCKET"),
		zoneDir:          os.Getenv("ZONE_DIR"),
		nodeIPs:          split(envOr("NODE_IPS", "10.254.254.1,10.244.0.1")),
		nodePorts:        split(envOr("NODE_PORTS", defaultNodePorts)),
		apiService:       envOr("API_SERVICE", "10.96.0.1:443"),
		probeTimeout:     timeout,
	}
}

func split(list string) []string {
	var out []string
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Context is what the container looks like from inside, for reading the checks.
type Context struct {
	UID              int               `json:"uid"`
	GID              int               `json:"gid"`
	Groups           []int             `json:"groups"`
	Hostname         string            `json:"hostname"`
	Kernel           string            `json:"kernel"`
	Status           map[string]string `json:"status"`
	Namespaces       map[string]string `json:"namespaces"`
	VisiblePIDs      int               `json:"visiblePids"`
	PID1             string            `json:"pid1"`
	RootMount        string            `json:"rootMount"`
	ServiceAccount   bool              `json:"serviceAccountTokenMounted"`
	RootFSWritable   bool              `json:"rootFsWritableByUs"`
	CgroupMembership []string          `json:"cgroups"`
}

// describe gathers the context: identity, capability sets, no_new_privs and seccomp mode,
// namespaces, what else runs in the PID namespace, and the root mount.
func describe() Context {
	groups, _ := os.Getgroups()
	hostname, _ := os.Hostname()
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	c := Context{
		UID:        os.Getuid(),
		GID:        os.Getgid(),
		Groups:     groups,
		Hostname:   hostname,
		Kernel:     unix.ByteSliceToString(uts.Release[:]),
		Status:     map[string]string{},
		Namespaces: map[string]string{},
	}
	for _, line := range lines("/proc/self/status") {
		key, value, _ := strings.Cut(line, ":")
		switch key {
		case "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters":
			c.Status[key] = strings.TrimSpace(value)
		}
	}
	for _, ns := range []string{"mnt", "pid", "net", "uts", "ipc", "user", "cgroup"} {
		if link, err := os.Readlink("/proc/self/ns/" + ns); err == nil {
			c.Namespaces[ns] = link
		}
	}
	c.VisiblePIDs = len(pids())
	if comm, err := os.ReadFile("/proc/1/comm"); err == nil {
		c.PID1 = strings.TrimSpace(string(comm))
	}
	for _, line := range lines("/proc/self/mountinfo") {
		fields := strings.Fields(line)
		if len(fields) > 9 && fields[4] == "/" {
			c.RootMount = strings.Join(fields[4:], " ")
		}
	}
	_, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/token")
	c.ServiceAccount = err == nil
	c.RootFSWritable = unix.Access("/", unix.W_OK) == nil
	c.CgroupMembership = lines("/proc/self/cgroup")
	return c
}

func lines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}

// pids lists the processes visible in /proc.
func pids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err == nil && fmt.Sprint(pid) == e.Name() {
			out = append(out, pid)
		}
	}
	return out
}
