//go:build race

package jstrace_test

const raceEnabled = true
