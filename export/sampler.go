package export

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/jstrace-go/jstrace"
)

var errSampler = errors.New("want always, never, a probability from 0 to 1 (0.25) or rate: and traces per second (rate:0.2)")

// ParseSampler parses a sampler's text, as $JSTRACE_SAMPLER holds it:
//
//	always      every trace (jstrace.AlwaysSample)
//	never       none but those sampled upstream (jstrace.NeverSample)
//	0.25        a probability from 0 to 1 (jstrace.Probability)
//	rate:0.2    traces per second, fractions allowed (jstrace.RateLimit)
//
// Case and surrounding spaces do not matter. Anything else, a probability
// out of range, or a rate that is not a positive number, is an error.
func ParseSampler(s string) (jstrace.Sampler, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "always":
		return jstrace.AlwaysSample(), nil
	case "never":
		return jstrace.NeverSample(), nil
	}
	if r, ok := strings.CutPrefix(v, "rate:"); ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, fmt.Errorf("export: sampler: a rate must be a positive number of traces per second: %w", errSampler)
		}
		return jstrace.RateLimit(n), nil
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, fmt.Errorf("export: sampler: %w", errSampler)
	}
	if p < 0 || p > 1 || math.IsNaN(p) {
		return nil, fmt.Errorf("export: sampler: a probability must be from 0 to 1: %w", errSampler)
	}
	return jstrace.Probability(p), nil
}

// SamplerFromEnv parses $JSTRACE_SAMPLER (see [ParseSampler]): nil, and no
// error, when it is unset or empty.
func SamplerFromEnv() (jstrace.Sampler, error) {
	v := os.Getenv(EnvSampler)
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	s, err := ParseSampler(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSampler, err)
	}
	return s, nil
}
