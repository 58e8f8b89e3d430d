//go:build !unix

package notify

import "time"

func processCPU() time.Duration { return 0 }
