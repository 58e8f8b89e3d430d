package pd

import "os"

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "pd-ca-") }
