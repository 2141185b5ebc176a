package otel

import (
	"errors"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds one export, retries included, when an options
// struct leaves Timeout zero.
const DefaultTimeout = 10 * time.Second

var (
	errBadEndpoint = errors.New("endpoint is not an http or https URL with a host")
	errShutdown    = errors.New("exporter is shut down")
)

// endpoint resolves an exporter's endpoint: the option, else the
// environment variable, else the default. It returns the URL and its
// redacted form (no user info, query or fragment), the only one errors
// may show.
func endpoint(opt, env, def string) (*url.URL, string, error) {
	raw := opt
	if raw == "" {
		raw = strings.TrimSpace(os.Getenv(env))
	}
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", errBadEndpoint // never quote it: it may hold a token
	}
	return u, redact(u), nil
}

// redact returns u without user info, query and fragment.
func redact(u *url.URL) string {
	r := *u
	r.User, r.RawQuery, r.ForceQuery, r.Fragment, r.RawFragment = nil, "", false, "", ""
	return r.String()
}

func timeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

// redactedError is an exporter's error with the full endpoint URL
// replaced by its redacted form.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrub wraps err, from an exporter that may quote its URL, so that its
// text shows only the redacted endpoint.
// userInfo matches the user info of a URL in an error message.
var userInfo = regexp.MustCompile(`//[^/?#@\s"]*@`)

func scrub(err error, u *url.URL, redacted, prefix string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if full := u.String(); full != redacted {
		msg = strings.ReplaceAll(msg, full, redacted)
	}
	if u.User != nil {
		// net/http prints user info as "user:***@" (the user name may be
		// the token: https://TOKEN:@host): drop every user info.
		msg = userInfo.ReplaceAllString(msg, "//")
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	if u.RawQuery != "" {
		msg = strings.ReplaceAll(msg, u.RawQuery, "xxxxx")
	}
	return &redactedError{msg: prefix + ": " + msg, err: err}
}
