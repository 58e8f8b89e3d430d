package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: fixed at 100 per second in
// Linux's user ABI, whatever the kernel's own tick.
const userHZ = 100

// postmasterPID reads the PID on the first line of a cluster's postmaster.pid.
func postmasterPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no PID on the first line", path)
	}
	return pid, nil
}

// procStat returns the parent PID and the user + system CPU time of one /proc/PID/stat
// line. The command name (field 2) is in parentheses and may hold spaces, so the
// fields are counted after its closing parenthesis.
func procStat(stat []byte) (ppid int, cpu time.Duration, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed stat %q", stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("malformed stat %q", stat)
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, fmt.Errorf("malformed stat %q", stat)
	}
	return ppid, time.Duration(ut+st) * time.Second / userHZ, nil
}

// clusterCPU is the CPU time used so far by a PostgreSQL cluster: its postmaster and
// the postmaster's children (backends, WAL writer, checkpointer, ...). A backend
// that exits takes its time with it, so measure over a phase in which the pool's
// connections stay open.
func clusterCPU(postmaster int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", postmaster))
	if err != nil {
		return 0, err
	}
	_, total, err := procStat(b)
	if err != nil {
		return 0, err
	}
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the process has gone
		}
		ppid, cpu, err := procStat(b)
		if err == nil && ppid == postmaster {
			total += cpu
		}
	}
	return total, nil
}

func TestProcStat(t *testing.T) {
	ppid, cpu, err := procStat([]byte("4242 (postgres: postgres db 127.0.0.1(5) idle) S 32123 32123 32123 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 1 0 9 1 1 18446744073709551615"))
	if err != nil || ppid != 32123 || cpu != 3250*time.Millisecond {
		t.Errorf("procStat = %d, %v, %v; want 32123, 3.25s, nil", ppid, cpu, err)
	}
	for _, bad := range []string{"", "1 (x S 1", "1 (x) S one 1 1 0 -1 0 0 0 0 0 1 1", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 1"} {
		if _, _, err := procStat([]byte(bad)); err == nil {
			t.Errorf("procStat(%q) = nil error", bad)
		}
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	// This process's own line parses, its parent is the one the OS reports.
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	if ppid, _, err := procStat(b); err != nil || ppid != os.Getppid() {
		t.Errorf("procStat(/proc/self/stat) = %d, %v; want %d", ppid, err, os.Getppid())
	}
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "postmaster.pid")
	os.WriteFile(pidfile, []byte("32123\n/tmp/pgbench-data\n"), 0o600)
	if pid, err := postmasterPID(pidfile); err != nil || pid != 32123 {
		t.Errorf("postmasterPID = %d, %v", pid, err)
	}
	os.WriteFile(pidfile, []byte("\n"), 0o600)
	if _, err := postmasterPID(pidfile); err == nil {
		t.Error("postmasterPID of an empty first line = nil error")
	}
}
