package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/senimkz/senim/internal/identity"
	"github.com/senimkz/senim/internal/orgauth"
	"github.com/senimkz/senim/internal/problem"
	"github.com/senimkz/senim/internal/store"
)

// Bulk send (POST /v1/notices:batch). A state body that writes to many citizens sends
// up to MaxBatch notices in one request instead of one request and one transaction
// each. Each item carries its own idempotency key and gets its own result; the contract
// is per item, not all-or-nothing: an item refused (bad content, unknown addressee, a
// key reused with another notice) is refused alone with the problem the single send
// would answer, and every other item is accepted. The accepted items are written in
// one transaction, shared with concurrent sends (group commit). Keys are the same key
// space as POST /v1/notices: an item's key and notice are a single send's
// Idempotency-Key and body, so a batch retried after a lost answer, or a notice first
// sent alone, is answered again, never sent twice.

// MaxBatch is the most notices one bulk send may carry.
const MaxBatch = 1000

// maxBatchBody bounds a bulk send's body: a thousand notices of a few kilobytes each,
// with room.
const maxBatchBody = 16 << 20

var (
	// ErrBatchEmpty: a bulk send without notices.
	ErrBatchEmpty = problem.New(http.StatusUnprocessableEntity, "notify.batch.empty", "A bulk send needs at least one notice")
	// ErrBatchTooLarge: more than MaxBatch notices in one bulk send.
	ErrBatchTooLarge = problem.New(http.StatusRequestEntityTooLarge, "notify.batch.too_large", "A bulk send carries at most 1000 notices")
)

// BatchItem is one notice of a bulk send: what a single send's Idempotency-Key and
// body are.
type BatchItem struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Notice         json.RawMessage `json:"notice"`
}

// BatchResult is one item's outcome: 201 with the notice accepted (Replayed when its
// key had already been answered), or the problem that refused it.
type BatchResult struct {
	Index          int             `json:"index"`
	IdempotencyKey string          `json:"idempotency_key"`
	Status         int             `json:"status"`
	Replayed       bool            `json:"replayed,omitempty"`
	Notice         json.RawMessage `json:"notice,omitempty"`
	Problem        *ItemProblem    `json:"problem,omitempty"`
}

// ItemProblem is an item's refusal, the members of the problem+json the single send
// would answer.
type ItemProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Field  string `json:"field,omitempty"`
}

func itemProblem(p *problem.Problem) *ItemProblem {
	ip := &ItemProblem{Type: problem.TypePrefix + p.Code, Title: p.Title, Status: p.Status, Code: p.Code, Detail: p.Detail, Rule: p.Rule}
	if f, ok := p.Extra["field"].(string); ok {
		ip.Field = f
	}
	return ip
}

// BatchAnswer is the answer to a bulk send: a result per item in the items' order and
// the counts of accepted (new), replayed and refused items.
type BatchAnswer struct {
	Results  []BatchResult `json:"results"`
	Accepted int           `json:"accepted"`
	Replayed int           `json:"replayed"`
	Refused  int           `json:"refused"`
}

// SubmitBatch accepts a bulk send of senderBIN (see the contract above). Whole-request
// refusals, which change nothing: ErrBatchEmpty, ErrBatchTooLarge, and
// ErrSenderNotPermitted when the organisation holds no sender permission at all. Any
// error other than an item's problem fails the whole request, and nothing of it stays.
func (s *Service) SubmitBatch(ctx context.Context, senderBIN string, items []BatchItem) (*BatchAnswer, error) {
	if s.cfg.Citizens == nil {
		return nil, errors.New("notify: SubmitBatch needs Config.Citizens")
	}
	snd, err := s.permittedSender(ctx, senderBIN)
	if err != nil {
		return nil, err
	}
	return s.submitBatch(ctx, snd, items)
}

// submitBatch is SubmitBatch for a sender that permittedSender let through.
func (s *Service) submitBatch(ctx context.Context, snd *sender, items []BatchItem) (*BatchAnswer, error) {
	switch {
	case len(items) == 0:
		return nil, ErrBatchEmpty
	case len(items) > MaxBatch:
		return nil, ErrBatchTooLarge.WithDetail(fmt.Sprintf("%d notices; send at most %d per request", len(items), MaxBatch))
	}
	now := s.cfg.Now()
	ans := &BatchAnswer{Results: make([]BatchResult, len(items))}
	ps := make([]*prepared, len(items))
	seen := map[string]*identity.Citizen{}
	refuse := func(i int, err error) error {
		var p *problem.Problem
		if !errors.As(err, &p) || p.Status >= 500 {
			return err
		}
		ans.Results[i].Status, ans.Results[i].Problem = p.Status, itemProblem(p)
		return nil
	}
	for i, it := range items {
		ans.Results[i].Index, ans.Results[i].IdempotencyKey = i, it.IdempotencyKey
		if len(it.Notice) == 0 || string(it.Notice) == "null" {
			refuse(i, problem.Field("notice", "required"))
			continue
		}
		var sub Submission
		err := problem.UnmarshalJSON(it.Notice, &sub)
		if err == nil {
			ps[i], err = s.prepare(ctx, snd, sub, it.IdempotencyKey, it.Notice, now, seen)
		}
		if err != nil {
			if err := refuse(i, err); err != nil {
				return nil, err
			}
		}
	}
	var subjects []string
	queued := false
	err := s.commit(ctx, func(tx *store.Tx, u unreadDelta) error {
		// From the start on every run: the store may run the transaction again.
		subjects, queued = subjects[:0], false
		var prefs map[string]map[string]Pref
		if len(s.channels) > 0 {
			var want []string
			seen := map[string]bool{}
			for _, p := range ps {
				if p != nil && !seen[p.subject] {
					seen[p.subject] = true
					want = append(want, p.subject)
				}
			}
			var err error
			if prefs, err = loadPrefsMany(ctx, tx.QueryContext, want); err != nil {
				return err
			}
		}
		out, err := s.writeMany(ctx, tx, u, ps, now, prefs)
		if err != nil {
			return err
		}
		for i, p := range ps {
			if p == nil {
				continue
			}
			r := &ans.Results[i]
			r.Status, r.Replayed, r.Notice, r.Problem = 0, false, nil, nil
			channels, replay, err := out[i].channels, out[i].replay, out[i].err
			if err != nil {
				if err := refuse(i, err); err != nil {
					return err
				}
				continue
			}
			r.Status = http.StatusCreated
			if replay != nil {
				r.Replayed, r.Notice = true, replay
				continue
			}
			r.Notice = p.answer
			subjects = append(subjects, p.subject)
			queued = queued || len(channels) > 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range ans.Results {
		switch {
		case r.Problem != nil:
			ans.Refused++
		case r.Replayed:
			ans.Replayed++
		default:
			ans.Accepted++
		}
	}
	published := map[string]bool{}
	for _, sub := range subjects {
		if !published[sub] {
			published[sub] = true
			s.hub.publish(sub)
		}
	}
	if queued {
		s.kick()
	}
	return ans, nil
}

func (s *Service) handleSubmitBatch(w http.ResponseWriter, r *http.Request) error {
	c, err := orgauth.Require(r)
	if err != nil {
		return err
	}
	if s.cfg.Citizens == nil {
		return errors.New("notify: SubmitBatch needs Config.Citizens")
	}
	snd, err := s.permittedSender(r.Context(), c.BIN) // first: before the body is read
	if err != nil {
		return err
	}
	var req struct {
		Notices []BatchItem `json:"notices"`
	}
	if err := problem.DecodeJSON(w, r, maxBatchBody, &req); err != nil {
		return err
	}
	ans, err := s.submitBatch(r.Context(), snd, req.Notices)
	if err != nil {
		return err
	}
	problem.WriteJSON(w, http.StatusOK, ans)
	return nil
}
