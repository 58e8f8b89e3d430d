package loadgen

import "github.com/senimkz/senim/internal/kzid"

func kzComplete(prefix string) (string, bool) { return kzid.Complete(prefix) }
