package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func mountChecks() []Check {
	const cat = "mount"
	target, err := os.MkdirTemp("/tmp", "escape-mnt-")
	if err != nil {
		return []Check{blocked(cat, "mount", "make a mount point in /tmp", errText(err))}
	}
	defer os.Remove(target)
	try := func(name, attempt, source, fstype string, flags uintptr, data string) Check {
		err := unix.Mount(source, target, fstype, flags, data)
		if err == nil {
			_ = unix.Unmount(target, unix.MNT_DETACH)
		}
		return outcome(cat, name, attempt, err, "mounted "+fstype+source+" on "+target)
	}
	return []Check{
		try("mount-tmpfs", "mount a tmpfs", "tmpfs", "tmpfs", 0, "size=1m"),
		try("mount-proc", "mount a new proc file system", "proc", "proc", 0, ""),
		try("mount-sysfs", "mount sysfs", "sysfs", "sysfs", 0, ""),
		try("mount-cgroup", "mount the cgroup v1 memory hierarchy (to set a release agent)", "cgroup", "cgroup", 0, "memory"),
		try("mount-bind-root", "bind-mount / elsewhere", "/", "", unix.MS_BIND|unix.MS_REC, ""),
		outcome(cat, "remount-root-rw", "remount / read-write",
			unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND, ""), "remounted /"),
	}
}

func privilegeChecks() []Check {
	const cat = "privilege"
	checks := []Check{
		// Go's Setuid and Setgid change every thread, like the C library's.
		outcome(cat, "setuid-0", "become root with setuid(0)", unix.Setuid(0), "now uid "+strconv.Itoa(os.Getuid())),
		outcome(cat, "setgid-0", "join group root with setgid(0)", unix.Setgid(0), "now gid "+strconv.Itoa(os.Getgid())),
		outcome(cat, "setgroups-0", "join group root with setgroups([0])", unix.Setgroups([]int{0}), "supplementary groups now [0]"),
		capabilitySets(),
		capsetCheck(),
		outcome(cat, "chroot", "chroot into /tmp (needs CAP_SYS_CHROOT)", chrootBack(), "chroot succeeded"),
		mknodCheck(),
	}
	return checks
}

// capabilitySets reads the process's capability sets: a non-root process of a pod that drops
// every capability holds none, whatever its bounding set.
func capabilitySets() Check {
	const attempt = "hold capabilities (effective, permitted or ambient set not empty)"
	held := []string{}
	for _, line := range lines("/proc/self/status") {
		key, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if (key == "CapEff" || key == "CapPrm" || key == "CapAmb") && strings.Trim(value, "0") != "" {
			held = append(held, key+"="+value)
		}
	}
	if len(held) > 0 {
		return escaped("privilege", "capabilities-held", attempt, strings.Join(held, " "))
	}
	return blocked("privilege", "capabilities-held", attempt, "effective, permitted and ambient sets are empty")
}

// capsetCheck asks for every capability in the effective and permitted sets.
func capsetCheck() Check {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	all := [2]unix.CapUserData{
		{Effective: 0xffffffff, Permitted: 0xffffffff},
		{Effective: 0xffffffff, Permitted: 0xffffffff},
	}
	err := unix.Capset(&hdr, &all[0])
	return outcome("privilege", "capset-all", "raise every capability with capset", err, "capset granted every capability")
}

// chrootBack chroots into /tmp, and back out through a directory opened before (the classic
// chroot escape), only to find out whether chroot itself is allowed.
func chrootBack() error {
	root, err := os.Open("/")
	if err != nil {
		return err
	}
	defer root.Close()
	if err := unix.Chroot("/tmp"); err != nil {
		return err
	}
	_ = unix.Fchdir(int(root.Fd()))
	_ = unix.Chroot(".")
	return nil
}

func mknodCheck() Check {
	path := fmt.Sprintf("/tmp/escape-disk-%d", time.Now().UnixNano())
	// 8:0 is the first SCSI disk, 253:0 the first virtio disk.
	err := unix.Mknod(path, unix.S_IFBLK|0o600, int(unix.Mkdev(253, 0)))
	if err == nil {
		_ = os.Remove(path)
	}
	return outcome("privilege", "mknod-block-device", "create a device node for the node's disk (mknod b 253 0)", err,
		"created a block device node")
}
