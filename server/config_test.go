package server

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.Grace != 20*time.Second {
		t.Fatalf("defaults: addr %q grace %v", cfg.Addr, cfg.Grace)
	}
}

func TestEnvThenFlags(t *testing.T) {
	cfg := DefaultConfig()
	env := map[string]string{"TICKWIRE_ADDR": "127.0.0.1:9000", "TICKWIRE_GRACE": "7s",
		"TICKWIRE_ALLOWED_ORIGINS": "https://a.example, https://b.example", "TICKWIRE_COMPRESSION": "true"}
	if err := cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.Flags(fs)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:9001", "-max-frame-bytes", "2048", "-open-join=false"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9001" || cfg.Grace != 7*time.Second || cfg.MaxFrameBytes != 2048 || cfg.OpenJoin ||
		!cfg.Compression || len(cfg.AllowedOrigins) != 2 || cfg.AllowedOrigins[1] != "https://b.example" {
		t.Fatalf("config %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	if err := bad.ApplyEnv(func(k string) (string, bool) { return "soon", k == "TICKWIRE_GRACE" }); err == nil {
		t.Fatal("a malformed duration was accepted")
	}
}

func TestHelpDocumentsEverySetting(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	cfg.Flags(fs)
	fs.PrintDefaults()
	for _, s := range settings {
		if !strings.Contains(out.String(), "-"+s.name) || !strings.Contains(out.String(), s.env()) {
			t.Errorf("-h lacks %s / %s", s.name, s.env())
		}
	}
	// Every Config field but Static has a setting named after it.
	names := map[string]bool{}
	for _, s := range settings {
		names[s.name] = true
	}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i).Name
		if f != "Static" && f != "Authenticate" && !names[kebab(f)] {
			t.Errorf("Config.%s has no flag %q", f, kebab(f))
		}
	}
	if len(settings) != typ.NumField()-2 {
		t.Errorf("%d settings for %d fields", len(settings), typ.NumField()-2)
	}
}

// kebab turns ResumeTokenTTL into resume-token-ttl.
func kebab(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if i > 0 && upper && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func TestValidateRejects(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"addr":         func(c *Config) { c.Addr = "nope" },
		"log format":   func(c *Config) { c.LogFormat = "xml" },
		"origin":       func(c *Config) { c.AllowedOrigins = []string{"example.com"} },
		"frame size":   func(c *Config) { c.MaxFrameBytes = 10 },
		"token ttl":    func(c *Config) { c.ResumeTokenTTL = c.Grace },
		"input rate":   func(c *Config) { c.InputRate = 0 },
		"timeout":      func(c *Config) { c.HandshakeTimeout = 0 },
		"join timeout": func(c *Config) { c.JoinTimeout = 0 },
		"queue":        func(c *Config) { c.OutboundQueue = 0 },
		"write buffer": func(c *Config) { c.WriteBufferBytes = -1 },
	} {
		cfg := DefaultConfig()
		mutate(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
