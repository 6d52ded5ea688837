package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// hostPaths exist on the node (a Debian machine running the zone) and not in this image,
// which holds only its binary, /etc/passwd, /etc/group, /home and /tmp: seeing one of them
// through a path means that path leads out of the container.
func hostPaths(cfg config) []string {
	paths := []string{"/etc/os-release", "/bin/sh", "/usr/bin/env", "/var/lib/containerd", "/var/lib/kubelet"}
	for _, p := range []string{cfg.hostMarker, cfg.zoneDir, cfg.containerdSocket} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// hostEvidence is the first host path visible under prefix, or "".
func hostEvidence(cfg config, prefix string) string {
	for _, p := range hostPaths(cfg) {
		if _, err := os.Lstat(prefix + p); err == nil {
			return prefix + p
		}
	}
	return ""
}

func filesystemChecks(cfg config) []Check {
	const cat = "filesystem"
	var checks []Check
	look := func(name, attempt, prefix string) {
		if found := hostEvidence(cfg, prefix); found != "" {
			checks = append(checks, escaped(cat, name, attempt, "found host path "+found))
		} else {
			checks = append(checks, blocked(cat, name, attempt,
				fmt.Sprintf("none of %s visible", strings.Join(hostPaths(cfg), ", "))))
		}
	}
	look("host-paths", "read host-only paths directly (the zone's folder, containerd's socket, /var/lib)", "")
	for _, dir := range []string{"/host", "/rootfs", "/hostfs", "/node"} {
		look("host-mount"+strings.ReplaceAll(dir, "/", "-"), "host paths under "+dir+", where hostPath mounts usually go", dir)
	}
	look("proc-1-root", "host paths through /proc/1/root (the root of PID 1)", "/proc/1/root")
	self := os.Getpid()
	others := 0
	for _, pid := range pids() {
		if pid == self || pid == 1 {
			continue
		}
		others++
		prefix := fmt.Sprintf("/proc/%d/root", pid)
		if found := hostEvidence(cfg, prefix); found != "" {
			checks = append(checks, escaped(cat, "proc-pid-root", "host paths through /proc/<pid>/root of every visible process", "found host path "+found))
			others = -1
			break
		}
	}
	if others >= 0 {
		checks = append(checks, blocked(cat, "proc-pid-root", "host paths through /proc/<pid>/root of every visible process",
			fmt.Sprintf("no host path under the roots of the %d other visible processes", others)))
	}
	look("proc-self-root-dotdot", "climb above the root through /proc/self/root/../../..", "/proc/self/root/../../..")
	link := "/tmp/escape-dotdot"
	_ = os.Remove(link)
	if err := os.Symlink("../../../../../../../..", link); err != nil {
		checks = append(checks, blocked(cat, "symlink-dotdot", "climb above the root through a symlink to ../../..", errText(err)))
	} else {
		look("symlink-dotdot", "climb above the root through a symlink to ../../..", link)
		_ = os.Remove(link)
	}
	checks = append(checks, handleCheck())

	create := func(name, attempt, path string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			_ = os.Remove(path)
		}
		checks = append(checks, outcome(cat, name, attempt, err, "created "+path+" as uid "+fmt.Sprint(os.Getuid())))
	}
	create("write-etc", "create a file in /etc (root-owned) as the container's non-root user", "/etc/pluskube-escape")
	create("write-root", "create a file in / (root-owned)", "/pluskube-escape")
	checks = append(checks, openWrite(cat, "overwrite-own-binary", "open the image's own binary for writing", "/escape"))

	checks = append(checks, readSome(cat, "read-proc-kcore", "read kernel memory from /proc/kcore", "/proc/kcore"))
	checks = append(checks, readSome(cat, "read-dev-kmsg", "read the kernel log from /dev/kmsg", "/dev/kmsg"))
	checks = append(checks, openWrite(cat, "write-dev-kmsg", "open /dev/kmsg for writing", "/dev/kmsg"))
	checks = append(checks, readSome(cat, "read-dev-mem", "read physical memory from /dev/mem", "/dev/mem"))
	checks = append(checks, blockDeviceCheck())
	for _, p := range []string{
		"/proc/sys/kernel/core_pattern",
		"/proc/sys/kernel/modprobe",
		"/proc/sys/kernel/hostname",
		"/proc/sys/net/ipv4/ip_forward",
		"/proc/sys/vm/drop_caches",
		"/proc/sysrq-trigger",
		"/sys/kernel/uevent_helper",
		"/sys/power/state",
	} {
		checks = append(checks, openWrite(cat, "write"+strings.ReplaceAll(p, "/", "-"), "open "+p+" for writing", p))
	}
	checks = append(checks, cgroupChecks()...)
	return checks
}

// openWrite opens a file for writing and writes nothing: the permission check happens at open,
// and writing to these files would change the node.
func openWrite(cat, name, attempt, path string) Check {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
	}
	return outcome(cat, name, attempt, err, "opened "+path+" for writing (nothing was written)")
}

// readSome reads up to 4 KiB. The runtime masks some files by mounting /dev/null over them,
// which opens but reads nothing: that is blocked too.
func readSome(cat, name, attempt, path string) Check {
	f, err := os.Open(path)
	if err != nil {
		return blocked(cat, name, attempt, errText(err))
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, err := f.Read(buf)
	if n > 0 {
		return escaped(cat, name, attempt, fmt.Sprintf("read %d bytes from %s", n, path))
	}
	if err != nil && err != io.EOF {
		return blocked(cat, name, attempt, "opened, but reading failed: "+errText(err))
	}
	return blocked(cat, name, attempt, "opened, but reads nothing (masked)")
}

// blockDeviceCheck opens every block device the container can see, and the usual disk names.
func blockDeviceCheck() Check {
	const attempt = "open the node's disks (/dev/vda, /dev/sda, /dev/nvme0n1 and any block device in /dev)"
	candidates := []string{"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda"}
	entries, _ := os.ReadDir("/dev")
	for _, e := range entries {
		if e.Type()&os.ModeDevice != 0 && e.Type()&os.ModeCharDevice == 0 {
			candidates = append(candidates, filepath.Join("/dev", e.Name()))
		}
	}
	var errs []string
	for _, dev := range candidates {
		f, err := os.Open(dev)
		if err == nil {
			f.Close()
			return escaped("filesystem", "open-block-device", attempt, "opened "+dev)
		}
		errs = append(errs, dev+": "+errText(err))
	}
	return blocked("filesystem", "open-block-device", attempt, strings.Join(errs, "; "))
}

// cgroupChecks try to raise the container's own limits and to set a release agent, the
// program the kernel runs on the host when a cgroup empties (CVE-2022-0492).
func cgroupChecks() []Check {
	const cat = "cgroup"
	first := func(name, attempt string, paths ...string) Check {
		for _, p := range paths {
			if _, err := os.Stat(p); err == nil {
				return openWrite(cat, name, attempt+" ("+p+")", p)
			}
		}
		return blocked(cat, name, attempt, "none visible: "+strings.Join(paths, ", "))
	}
	agents, _ := filepath.Glob("/sys/fs/cgroup/*/release_agent")
	return []Check{
		first("raise-memory-limit", "open the container's memory limit for writing",
			"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"),
		first("raise-cpu-limit", "open the container's CPU quota for writing",
			"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu.max"),
		first("release-agent", "open a cgroup release_agent for writing",
			append([]string{"/sys/fs/cgroup/release_agent"}, agents...)...),
	}
}

// handleCheck is the "shocker" attack: open_by_handle_at with a handle for inode 2 (the root
// directory of an ext4 file system) relative to a file the kubelet bind-mounts from the node's
// disk (/etc/hosts), which opens the node's root directory if CAP_DAC_READ_SEARCH is held.
func handleCheck() Check {
	const attempt = "open the node's root directory by file handle (open_by_handle_at, inode 2) through /etc/hosts"
	mount, err := os.Open("/etc/hosts")
	if err != nil {
		mount, err = os.Open("/")
		if err != nil {
			return blocked("filesystem", "open-by-handle", attempt, errText(err))
		}
	}
	defer mount.Close()
	// FILEID_INO32_GEN: a 32-bit inode number and a generation.
	handle := unix.NewFileHandle(1, []byte{2, 0, 0, 0, 0, 0, 0, 0})
	fd, err := unix.OpenByHandleAt(int(mount.Fd()), handle, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return blocked("filesystem", "open-by-handle", attempt, errText(err))
	}
	dir := os.NewFile(uintptr(fd), "by-handle")
	defer dir.Close()
	names, _ := dir.Readdirnames(20)
	return escaped("filesystem", "open-by-handle", attempt, "opened a directory holding "+strings.Join(names, ", "))
}
