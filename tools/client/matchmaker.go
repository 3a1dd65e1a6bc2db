package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var _ TokenMatchmaker = (*HTTPMatchmaker)(nil)

// HTTPMatchmaker asks a Tickwire matchmaking service (POST /v1/matchmaking/tickets, then long-polling
// GET /v1/matchmaking/tickets/{id}) for a room. Safe for concurrent use.
type HTTPMatchmaker struct {
	// BaseURL is the service's address, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Client; nil: http.DefaultClient.
	Client *http.Client
	// Properties and Rating are sent with every ticket (optional).
	Properties map[string]string
	Rating     *float64
}

type mmTicketRequest struct {
	Mode         string            `json:"mode"`
	Players      []string          `json:"players,omitempty"`
	Rating       *float64          `json:"rating,omitempty"`
	Properties   map[string]string `json:"properties,omitempty"`
	PlayerTokens []string          `json:"player_tokens,omitempty"`
}

type mmTicket struct {
	ID      string `json:"ticket_id"`
	Status  string `json:"status"`
	Address string `json:"address"`
	Error   string `json:"error"`
	Players []struct {
		Player    string `json:"player"`
		JoinToken string `json:"join_token"`
	} `json:"players"`
}

// Match submits a one-player ticket and waits until it is placed (or ctx ends, which cancels the ticket).
func (m *HTTPMatchmaker) Match(ctx context.Context, mode, name string) (Assignment, error) {
	return m.MatchWithToken(ctx, mode, name, "")
}

// MatchWithToken is Match with the player's signed player token ("" for none), which the matchmaker verifies: the
// seat, and the join token, are for that user. A refused token is an error naming HTTP 401.
func (m *HTTPMatchmaker) MatchWithToken(ctx context.Context, mode, name, playerToken string) (Assignment, error) {
	hc := m.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	base := strings.TrimRight(m.BaseURL, "/")
	req := mmTicketRequest{Mode: mode, Rating: m.Rating, Properties: m.Properties}
	if name != "" {
		req.Players = []string{name}
	}
	if playerToken != "" {
		req.PlayerTokens = []string{playerToken}
	}
	body, _ := json.Marshal(req)
	var t mmTicket
	if err := m.do(ctx, hc, http.MethodPost, base+"/v1/matchmaking/tickets", body, &t); err != nil {
		return Assignment{}, err
	}
	for t.Status == "queued" {
		u := base + "/v1/matchmaking/tickets/" + url.PathEscape(t.ID) + "?wait=10s"
		if err := m.do(ctx, hc, http.MethodGet, u, nil, &t); err != nil {
			if ctx.Err() != nil {
				cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = m.do(cctx, hc, http.MethodDelete, base+"/v1/matchmaking/tickets/"+url.PathEscape(t.ID), nil, &mmTicket{})
				cancel()
			}
			return Assignment{}, err
		}
	}
	if t.Status != "placed" || len(t.Players) == 0 || t.Address == "" {
		return Assignment{}, fmt.Errorf("client: matchmaking ticket %s: %s %s", t.ID, t.Status, t.Error)
	}
	return Assignment{URL: t.Address, JoinToken: t.Players[0].JoinToken}, nil
}

func (m *HTTPMatchmaker) do(ctx context.Context, hc *http.Client, method, u string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: matchmaking: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("client: matchmaking: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("client: matchmaking: %s %s: %d %s", method, u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: matchmaking: bad answer: %w", err)
	}
	return nil
}
