package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// pgConnector opens PostgreSQL connections for the database/sql pool. It marks a
// failure to connect as ErrUnavailable, and gives the pool connections that report a
// session the server has already ended as driver.ErrBadConn (see pgConn).
type pgConnector struct {
	driver.Connector
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return dc, nil
	}
	return &pgConn{Conn: sc}, nil
}

// pgConn is a pooled PostgreSQL connection. A pooled connection may be dead without
// the pool knowing: the server terminated the session (pg_terminate_backend, a
// restart, a failover) or the network dropped it while it sat idle. pgx notices on the
// next use, when BEGIN or the query fails. For BEGIN and for queries outside a
// transaction (the reads of DB.QueryContext; writes always run in a Tx) nothing has
// happened yet that a second try could repeat, so when the connection turns out to be
// closed such a failure is reported as driver.ErrBadConn: database/sql then discards
// the connection and runs the call again, its last try on a freshly dialled one. A
// failure inside a transaction is never retried here (DB.Tx decides).
type pgConn struct {
	*stdlib.Conn
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	return tx, c.badConn(err)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	inTx := c.Conn.Conn().PgConn().TxStatus() != 'I'
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if inTx {
		return rows, err
	}
	return rows, c.badConn(err)
}

// Close closes the connection. A network error here only says that the server or the
// network closed it first (e.g. TLS cannot send its close alert on a terminated
// session): the connection is gone either way, which is what Close is for.
func (c *pgConn) Close() error {
	err := c.Conn.Close()
	var ne net.Error
	if errors.As(err, &ne) {
		return nil
	}
	return err
}

// badConn turns a failure that closed the connection into driver.ErrBadConn, unless
// the caller's context ended (then the failure is the caller's, not the connection's).
func (c *pgConn) badConn(err error) error {
	if err == nil || !c.Conn.Conn().IsClosed() || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return driver.ErrBadConn
}

// unavailable marks err as ErrUnavailable when it says the database cannot be reached
// or cannot serve now; other errors are returned as they are.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// isUnavailable reports whether err is a failure of the database or of the way to
// it, rather than of the statement: a failure to connect, a connection lost or
// refused, the server shutting down or out of connections, or a lock held by another
// process beyond the busy timeout (SQLite).
func isUnavailable(err error) bool {
	var (
		ce *pgconn.ConnectError
		pe *pgconn.PgError
		ne net.Error
		se *sqlite.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return false // the caller gave up
	case errors.As(err, &ce):
		return true
	case errors.As(err, &pe):
		// 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect
		// now; 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	case errors.As(err, &ne):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	case pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &se):
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}
