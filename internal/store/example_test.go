package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/senimkz/senim/internal/store"
)

// A domain change and its event commit together; a consumer then reads
// the event after its cursor.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "senim-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "senim.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.EnsureSchema(ctx, true); err != nil { // what `senim serve` does
		log.Fatal(err)
	}

	err = db.Tx(ctx, func(tx *store.Tx) error {
		// ... the domain rows are written here, with '?' placeholders ...
		_, err := tx.Emit(ctx, store.Event{
			Type:    "pd.consent.granted",
			Actor:   "citizen:c-7f3a",
			Subject: "c-7f3a",
			Payload: json.RawMessage(`{"consent":"k-19"}`),
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	n, err := db.ConsumeBatch(ctx, "auditlog", 100, func(ctx context.Context, events []store.Event) error {
		for _, e := range events {
			fmt.Println(e.ID, e.Type, e.Actor, string(e.Payload))
		}
		return nil // the cursor advances only now
	})
	fmt.Println(n, err)
	// Output:
	// 1 pd.consent.granted citizen:c-7f3a {"consent":"k-19"}
	// 1 <nil>
}
