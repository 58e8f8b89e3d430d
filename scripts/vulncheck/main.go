// Command vulncheck reads govulncheck's JSON (-format json) on stdin and fails on a
// vulnerability the code reaches (a finding with a called function):
//
//	go run golang.org/x/vuln/cmd/govulncheck@VERSION -db file://DB -format json ./... | go run ./scripts/vulncheck
//
// A reachable vulnerability in a required module always fails. One in the standard
// library is fixed only by a newer Go toolchain (CI runs Go 1.27.3 through
// GOTOOLCHAIN for this reason): it fails when -stdlib=fail (the default) and is
// listed as a warning with -stdlib=warn. Vulnerabilities in code the program does not
// call are listed, not fatal.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
}

type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

func main() {
	stdlib := flag.String("stdlib", "fail", "fail or warn on reachable vulnerabilities of the standard library")
	flag.Parse()
	os.Exit(run(os.Stdin, os.Stdout, *stdlib == "warn"))
}

type hit struct{ id, module, fixed, where string }

func run(in io.Reader, out io.Writer, warnStdlib bool) int {
	dec := json.NewDecoder(in)
	summary := map[string]string{}
	reached := map[string]hit{}
	imported := map[string]bool{}
	messages := 0
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(out, "vulncheck: reading govulncheck's output: %v\n", err)
			return 2
		}
		messages++
		if m.OSV != nil {
			summary[m.OSV.ID] = m.OSV.Summary
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		top := f.Trace[0]
		if top.Function == "" {
			imported[f.OSV] = true
			continue
		}
		if _, ok := reached[f.OSV]; !ok {
			where := top.Package + "." + top.Function
			if len(f.Trace) > 1 {
				last := f.Trace[len(f.Trace)-1]
				where = last.Package + "." + last.Function + " → " + where
			}
			reached[f.OSV] = hit{id: f.OSV, module: top.Module, fixed: f.FixedVersion, where: where}
		}
	}
	if messages == 0 {
		fmt.Fprintln(out, "vulncheck: no output from govulncheck")
		return 2
	}
	var ids []string
	for id := range reached {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	failed, warned := 0, 0
	for _, id := range ids {
		h := reached[id]
		std := h.module == "stdlib" || h.module == "toolchain"
		level := "FAIL"
		if std && warnStdlib {
			level, warned = "warn", warned+1
		} else {
			failed++
		}
		fixed := h.fixed
		if std {
			fixed = "Go " + strings.TrimPrefix(fixed, "v")
		}
		fmt.Fprintf(out, "%s %s (%s, fixed in %s): %s\n    reached: %s\n", level, id, h.module, fixed, summary[id], h.where)
	}
	fmt.Fprintf(out, "vulncheck: %d reachable vulnerabilities (%d fatal, %d warnings); %d more in imported code that is not called\n",
		len(ids), failed, warned, len(imported))
	if failed > 0 {
		return 1
	}
	return 0
}
