//go:build race

package jstrace

const chunkLen = 1
