// Package verifycmd holds the commands that check, offline, what Senim signs for a
// citizen or an organisation to keep: senim notify verify (a read receipt, rule DC-2),
// senim confirm verify (a push confirmation's evidence, DC-5) and senim docs verify (a
// "digital information" record of a document view, DC-8). Each needs only the file,
// Senim's published key set and, where the proof is in the log, the log's key; the
// rules of what makes each valid stay in their domain packages.
package verifycmd

// Exit codes of every verify command.
const (
	exitOK       = 0
	exitInvalid  = 1 // the file does not verify
	exitUnusable = 2 // bad usage, unreadable input, unreachable key set
)

// maxFile bounds what a command reads.
const maxFile = 1 << 20
